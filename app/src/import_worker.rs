//! The page's side of the import worker (`folio-import-worker`): starts it when a page
//! first imports, sends it one file at a time and waits for its reply.
//!
//! The worker's WASM is fetched only then, so the start page loads without the importers.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use folio_import_worker::{
    Envelope, ImportFailure, ImportJob, ImportedFile, JOB, REPLY, WORKER_SCRIPT, WorkerReply,
    message,
};
use folio_shared::import::{Attachment, Location};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

/// A running import worker; dropping it ends the worker.
pub struct ImportWorker {
    worker: web_sys::Worker,
    inbox: Rc<Inbox>,
    /// Whether the worker said it listens; nothing is posted to it before.
    ready: Cell<bool>,
    _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

/// Messages received and not yet read, and the wake-up of a reader waiting for one.
#[derive(Default)]
struct Inbox {
    messages: RefCell<VecDeque<Envelope>>,
    /// Why the worker stopped, once it has: every later read fails with it.
    stopped: RefCell<Option<String>>,
    waiting: RefCell<Option<js_sys::Function>>,
}

impl Inbox {
    fn deliver(&self, received: Result<Envelope, String>) {
        match received {
            Ok(message) => self.messages.borrow_mut().push_back(message),
            Err(why) => *self.stopped.borrow_mut() = Some(why),
        }
        if let Some(wake) = self.waiting.borrow_mut().take() {
            let _ = wake.call0(&wasm_bindgen::JsValue::UNDEFINED);
        }
    }

    async fn next(&self) -> Result<Envelope, String> {
        loop {
            if let Some(message) = self.messages.borrow_mut().pop_front() {
                return Ok(message);
            }
            if let Some(why) = self.stopped.borrow().clone() {
                return Err(why);
            }
            let arrived = js_sys::Promise::new(&mut |resolve, _| {
                *self.waiting.borrow_mut() = Some(resolve);
            });
            let _ = JsFuture::from(arrived).await;
        }
    }
}

impl ImportWorker {
    pub fn start() -> Result<ImportWorker, String> {
        let worker = web_sys::Worker::new(WORKER_SCRIPT)
            .map_err(|_| "the browser would not start the importer".to_owned())?;
        let inbox = Rc::new(Inbox::default());
        let on_message = {
            let inbox = inbox.clone();
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                inbox.deliver(
                    Envelope::from_js(&event.data(), REPLY)
                        .ok_or_else(|| "the importer sent a malformed reply".to_owned()),
                );
            })
        };
        let on_error = {
            let inbox = inbox.clone();
            Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
                event.prevent_default();
                inbox.deliver(Err("the importer failed to load or stopped".to_owned()));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(ImportWorker {
            worker,
            inbox,
            ready: Cell::new(false),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Imports one file, reporting the worker's progress; the imported file and its
    /// attachments, or why it imported nothing.
    pub async fn import(
        &self,
        job: &ImportJob,
        bytes: &[u8],
        progress: &dyn Fn(&str),
    ) -> Result<(ImportedFile, Vec<Attachment>), ImportFailure> {
        let broken = |message: String| ImportFailure::new(None, Location::file(&job.name), message);
        if !self.ready.get() {
            self.wait_until_ready().await.map_err(broken)?;
        }
        let json = serde_json::to_string(job).expect("a job serializes");
        let (message, transfer) = message(JOB, &json, &[bytes]);
        self.worker
            .post_message_with_transfer(&message, &transfer)
            .map_err(|_| broken("the file could not be handed to the importer".into()))?;
        loop {
            let envelope = self.inbox.next().await.map_err(broken)?;
            let reply: WorkerReply = serde_json::from_str(&envelope.json)
                .map_err(|e| broken(format!("the importer's reply is malformed: {e}")))?;
            match reply {
                WorkerReply::Ready => {}
                WorkerReply::Progress(step) => progress(&step),
                WorkerReply::Imported(file) => {
                    let attachments = file.attachments(envelope.bytes);
                    return Ok((file, attachments));
                }
                WorkerReply::Failed(failure) => return Err(failure),
            }
        }
    }

    async fn wait_until_ready(&self) -> Result<(), String> {
        loop {
            let envelope = self.inbox.next().await?;
            if let Ok(WorkerReply::Ready) = serde_json::from_str(&envelope.json) {
                self.ready.set(true);
                return Ok(());
            }
        }
    }
}

impl Drop for ImportWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
