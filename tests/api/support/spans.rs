//! A `tracing` subscriber that records, for the tests, each span made
//! (its name and fields) and each event (its level, message and fields).

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// A span or an event, as recorded.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The span's name, or the event's message.
    pub name: String,
    /// The level (of the event or span).
    pub level: Level,
    /// The fields, `name=value` (values as `Debug` shows them, strings
    /// without quotes).
    pub fields: Vec<(String, String)>,
}

impl Seen {
    /// The value of field `name`, if recorded.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What [`Recorder`] saw: spans and events, in order.
#[derive(Default)]
pub struct Log {
    pub spans: Vec<Seen>,
    pub events: Vec<Seen>,
}

/// Records into a shared [`Log`]; install with `tracing::subscriber::set_default`.
#[derive(Clone, Default)]
pub struct Recorder {
    pub log: Arc<Mutex<Log>>,
    next: Arc<AtomicU64>,
}

struct Fields<'a> {
    message: Option<String>,
    out: &'a mut Vec<(String, String)>,
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.out.push((field.name().to_owned(), value.to_owned()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.out.push((field.name().to_owned(), text));
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Vec::new();
        span.record(&mut Fields {
            message: None,
            out: &mut fields,
        });
        self.log.lock().unwrap().spans.push(Seen {
            name: span.metadata().name().to_owned(),
            level: *span.metadata().level(),
            fields,
        });
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        let mut visit = Fields {
            message: None,
            out: &mut fields,
        };
        event.record(&mut visit);
        let name = visit.message.take().unwrap_or_default();
        self.log.lock().unwrap().events.push(Seen {
            name,
            level: *event.metadata().level(),
            fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
