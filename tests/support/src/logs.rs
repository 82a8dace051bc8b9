//! Capturing `tracing` output in memory, so a test can check what the code logged.

use std::sync::{Arc, Mutex, OnceLock};

/// A `tracing` writer that appends every line to a buffer its clones share.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Returns everything written so far, with invalid UTF-8 replaced.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer lock")).into_owned()
    }

    /// Returns a subscriber that writes events at `INFO` and above, without colours, to
    /// this buffer.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("log buffer lock")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, on first use, a global subscriber that writes every log line of this test
/// binary to one buffer, and returns everything logged so far.
///
/// The subscriber is global because `tracing` caches per-callsite interest, so a
/// thread-local subscriber can miss events while other tests log from parallel threads.
/// Where another global subscriber was installed first, the buffer stays empty.
pub fn global_logs() -> String {
    static BUFFER: OnceLock<LogBuffer> = OnceLock::new();
    let buffer = BUFFER.get_or_init(|| {
        let buffer = LogBuffer::default();
        let _ = tracing::subscriber::set_global_default(buffer.subscriber());
        buffer
    });
    buffer.contents()
}
