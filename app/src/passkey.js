// WebAuthn ceremonies in the browser, for app/src/passkey.rs.
//
// The server's options are webauthn-rs JSON, which the browser's own
// parseCreationOptionsFromJSON / parseRequestOptionsFromJSON read as they are. The PRF
// extension is added here because webauthn-rs does not know it: the browser evaluates it
// and hands the output to the app, never to the server.

// The pending autofill (conditional mediation) request, if any. A browser runs one
// credential request at a time, so every other ceremony aborts this one first, and no
// autofill request starts while another ceremony runs.
let conditionalRequest = null;
let otherCeremonies = 0;

async function exclusive(run) {
  abortConditional();
  otherCeremonies += 1;
  try {
    return await run();
  } finally {
    otherCeremonies -= 1;
  }
}

export function abortConditional() {
  if (conditionalRequest) {
    conditionalRequest.abort();
    conditionalRequest = null;
  }
}

export async function conditionalMediationAvailable() {
  return Boolean(
    window.PublicKeyCredential &&
      PublicKeyCredential.isConditionalMediationAvailable &&
      (await PublicKeyCredential.isConditionalMediationAvailable()),
  );
}

function requirePasskeySupport() {
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
    throw new DOMException("This browser cannot use passkeys.", "NotSupportedError");
  }
}

// The credential as the JSON the server reads, without the PRF output: toJSON() encodes
// prf.results, and that secret unlocks the account, so it must not leave this page.
function credentialJson(credential) {
  const json = credential.toJSON();
  if (json.clientExtensionResults) {
    delete json.clientExtensionResults.prf;
  }
  return JSON.stringify(json);
}

function prfOutputs(credential) {
  const prf = credential.getClientExtensionResults().prf || {};
  const first = prf.results && prf.results.first;
  return {
    prfEnabled: prf.enabled === true,
    prfFirst: first ? new Uint8Array(first) : null,
  };
}

function ceremonyResult(credential) {
  return Object.assign({ credential: credentialJson(credential) }, prfOutputs(credential));
}

function withPrf(extensions, prfInput) {
  return Object.assign({}, extensions, { prf: { eval: { first: prfInput } } });
}

export async function createPasskey(publicKeyJson, prfInput) {
  requirePasskeySupport();
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(JSON.parse(publicKeyJson));
  publicKey.extensions = withPrf(publicKey.extensions, prfInput);
  return exclusive(async () => ceremonyResult(await navigator.credentials.create({ publicKey })));
}

export async function getPasskey(publicKeyJson, prfInput, conditional) {
  requirePasskeySupport();
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(JSON.parse(publicKeyJson));
  if (prfInput) {
    publicKey.extensions = withPrf(publicKey.extensions, prfInput);
  }
  if (!conditional) {
    return exclusive(async () => ceremonyResult(await navigator.credentials.get({ publicKey })));
  }
  if (otherCeremonies > 0) {
    throw new DOMException("Another passkey request is running.", "AbortError");
  }
  abortConditional();
  const controller = new AbortController();
  conditionalRequest = controller;
  try {
    const credential = await navigator.credentials.get({
      publicKey,
      mediation: "conditional",
      signal: controller.signal,
    });
    return ceremonyResult(credential);
  } finally {
    if (conditionalRequest === controller) {
      conditionalRequest = null;
    }
  }
}

// Unlocking the copy of the records kept on this device while the server is out of reach.
// Only the PRF output matters, and it does not depend on the challenge, so a random one
// does; nobody checks the signature (the server is not there), the wrapped key does: it
// opens only with this passkey's PRF output.
export async function prfHere(prfInput) {
  requirePasskeySupport();
  const publicKey = {
    challenge: crypto.getRandomValues(new Uint8Array(32)),
    userVerification: "required",
    timeout: 120000,
    extensions: withPrf({}, prfInput),
  };
  return exclusive(async () => ceremonyResult(await navigator.credentials.get({ publicKey })));
}

export function suggestedPasskeyName() {
  const platform =
    (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
  return platform ? `Passkey on ${platform}` : "Passkey";
}

// Tells the browser's passkey manager that an account is gone, so that it stops offering
// its passkeys (the WebAuthn signal API, where the browser has it).
export async function signalAccountDeleted(rpId, userId) {
  if (window.PublicKeyCredential && PublicKeyCredential.signalAllAcceptedCredentials) {
    try {
      await PublicKeyCredential.signalAllAcceptedCredentials({
        rpId,
        userId,
        allAcceptedCredentialIds: [],
      });
    } catch (_) {
      // Only a courtesy to the passkey manager: the account is deleted either way.
    }
  }
}
