//! A [`Link`] over a serial port (the `serialport` crate, without libudev): a board's USB UART
//! (`/dev/ttyUSB0`, `/dev/ttyACM0`) or the pseudo-terminal of a simulated board (`make
//! sim-board` in a generated project prints `PTY /dev/pts/N`; docs/PROTOCOL.md "Simulated board").
//!
//! The port is opened 8N1 at the given baud rate, without flow control, for exclusive use (released
//! again when the link is dropped); bytes left in its buffers from an earlier session are
//! discarded at open, so a stale reply is never read as the answer to a new request. Every error
//! names the port.

use crate::protocol::Link;
use miette::Diagnostic;
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};
use std::io::{self, Read, Write};
use std::time::Duration;
use thiserror::Error;

#[cfg(unix)]
type Port = serialport::TTYPort;
#[cfg(windows)]
type Port = serialport::COMPort;

/// A serial port that could not be opened or set up.
#[derive(Debug, Error, Diagnostic)]
#[error("cannot open serial port {port}: {reason}")]
#[diagnostic(
    code(qrnn::fpga::serial),
    help(
        "check that the device exists (a board's USB UART is usually /dev/ttyUSB* or /dev/ttyACM*; \
a simulated board prints its /dev/pts/N), that you may use it (Linux: the `dialout` group) and \
that no other program has it open"
    )
)]
pub struct SerialError {
    /// The port as given.
    pub port: String,
    /// What went wrong, from the operating system.
    pub reason: String,
}

/// A board on a serial port.
pub struct SerialLink {
    port: Port,
    name: String,
}

impl std::fmt::Debug for SerialLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialLink")
            .field("port", &self.name)
            .finish()
    }
}

impl SerialLink {
    /// Open `port` at `baud` baud, 8N1, no flow control, and discard whatever its buffers hold.
    pub fn open(port: &str, baud: u32) -> Result<Self, SerialError> {
        let fail = |reason: String| SerialError {
            port: port.to_string(),
            reason,
        };
        if baud == 0 {
            return Err(fail("the baud rate must be positive".into()));
        }
        let p = serialport::new(port, baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open_native()
            .map_err(|e| fail(describe(&e)))?;
        p.clear(ClearBuffer::All)
            .map_err(|e| fail(format!("clearing its buffers: {}", describe(&e))))?;
        Ok(Self {
            port: p,
            name: port.to_string(),
        })
    }

    /// The port's name as given to [`SerialLink::open`].
    pub fn name(&self) -> &str {
        &self.name
    }

    fn io_err(&self, what: &str, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{} {what}: {e}", self.name))
    }
}

fn describe(e: &serialport::Error) -> String {
    match e.kind() {
        serialport::ErrorKind::NoDevice => format!("no such device ({e})"),
        _ => e.to_string(),
    }
}

impl Link for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| self.io_err("write", e))
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // serialport rejects a zero timeout on some platforms; 1 ms is "now" for a UART
        let t = timeout.max(Duration::from_millis(1));
        self.port
            .set_timeout(t)
            .map_err(|e| self.io_err("set timeout", io::Error::other(e.to_string())))?;
        loop {
            return match self.port.read(buf) {
                Ok(n) => Ok(n),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(self.io_err("read", e)),
            };
        }
    }
}

impl Drop for SerialLink {
    fn drop(&mut self) {
        // release TIOCEXCL, so that the next program (or the next session on a simulated board's
        // pty, which the bridge keeps open) may open the port without root
        #[cfg(unix)]
        let _ = self.port.set_exclusive(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_port_is_a_clear_error() {
        let e = SerialLink::open("/dev/qrnn-no-such-port", 115_200).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/dev/qrnn-no-such-port"), "{msg}");
        assert!(msg.starts_with("cannot open serial port"), "{msg}");
    }

    #[test]
    fn zero_baud_is_refused() {
        let e = SerialLink::open("/dev/null", 0).unwrap_err();
        assert!(e.to_string().contains("baud"), "{e}");
    }
}
