"""A client generated from Folio's OpenAPI document, used as a phone app would use it.

`server/tests/generated_client.rs` generates the package `folio_client` with
openapi-python-client from the served document, then runs this script with the package's
directory on the path: the server's URL, a device token made by `folio account create`, and
the id of a record that account owns. Every step asserts; any failure exits non-zero.
"""

import json
import sys
import uuid

from folio_client import AuthenticatedClient, Client
from folio_client.api.accounts import get_account
from folio_client.api.health import healthz
from folio_client.api.vaults import list_segments, list_vaults, vault_keys
from folio_client.models import AccountSummary, Problem, VaultSummary


def problem_of(response):
    """The problem a refused request answered with, as the generated model."""
    if isinstance(response.parsed, Problem):
        return response.parsed
    return Problem.from_dict(json.loads(response.content))


def main(base_url, token, vault):
    anyone = Client(base_url=base_url)
    health = healthz.sync_detailed(client=anyone)
    assert health.status_code == 200, health
    assert json.loads(health.content)["status"] == "ok", health.content

    device = AuthenticatedClient(base_url=base_url, token=token)
    account = get_account.sync(client=device)
    assert isinstance(account, AccountSummary), account
    assert account.vaults >= 1, account

    vaults = list_vaults.sync(client=device)
    assert any(isinstance(v, VaultSummary) and str(v.id) == vault for v in vaults), vaults

    keys = vault_keys.sync(vault=uuid.UUID(vault), client=device)
    assert keys and keys[0].epoch == 1 and keys[0].wrapped_key, keys

    page = list_segments.sync_detailed(vault=uuid.UUID(vault), client=device)
    assert page.status_code == 200, page
    assert len(page.content) > 0, "a page of segment frames"

    refused = vault_keys.sync_detailed(vault=uuid.uuid4(), client=device)
    assert refused.status_code == 404, refused
    problem = problem_of(refused)
    assert problem.status == 404 and problem.title, problem

    stranger = get_account.sync_detailed(client=AuthenticatedClient(base_url=base_url, token="fd_nobody"))
    assert stranger.status_code == 401, stranger
    assert problem_of(stranger).status == 401

    print(json.dumps({"account": str(account.account_id), "vaults": len(vaults), "segments_bytes": len(page.content)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
