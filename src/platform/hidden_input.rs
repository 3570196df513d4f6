//! A line read from the terminal with echo off, for passphrases.
//!
//! Echo is turned off *before* the prompt is written, as ssh does: keys
//! typed the moment the prompt shows (or before it, by a fast typist or a
//! script) are then never drawn by the terminal. Reading prompt-then-echo-off
//! leaves a window in which they are.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use zeroize::Zeroizing;

/// Longest line read; a passphrase is far shorter, and a paste of a file
/// stops here instead of growing memory.
const MAX_LINE: usize = 64 * 1024;

/// Writes `prompt` to the controlling terminal and reads one line from it
/// without echo; the terminal's modes are restored however it ends. The
/// line break is not part of the result.
pub fn read_hidden_line(prompt: &str) -> io::Result<Zeroizing<String>> {
    let tty = File::options().read(true).write(true).open("/dev/tty")?;
    let echo_off = EchoOff::on(&tty)?;
    (&tty).write_all(prompt.as_bytes())?;
    (&tty).flush()?;
    let line = read_line(&tty);
    drop(echo_off);
    let line = line?;
    let text = std::str::from_utf8(&line)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the input is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Bytes up to the first line break (or the end of input), without it.
fn read_line(tty: &File) -> io::Result<Zeroizing<Vec<u8>>> {
    // Never grown, so no smaller copy is left behind in freed memory.
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut byte = [0u8; 1];
    loop {
        match (&*tty).read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() >= MAX_LINE => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the line is too long",
                ));
            }
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    byte.fill(0);
    Ok(line)
}

/// The terminal with echo off until dropped.
struct EchoOff {
    fd: i32,
    saved: libc::termios,
}

impl EchoOff {
    fn on(tty: &File) -> io::Result<EchoOff> {
        let fd = tty.as_raw_fd();
        // SAFETY: a zeroed termios is a valid value for tcgetattr to fill.
        let mut term: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `fd` is open for the call; `term` is a valid, writable termios.
        if unsafe { libc::tcgetattr(fd, &raw mut term) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let saved = term;
        term.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK);
        // The Enter key still ends the prompt's line on screen.
        term.c_lflag |= libc::ICANON | libc::ECHONL;
        // SAFETY: as above. TCSAFLUSH drops keys typed before the prompt, as
        // ssh does: the terminal already drew them, and they would silently
        // start the passphrase.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &raw const term) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(EchoOff { fd, saved })
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: `fd` is still open (the File outlives this guard in
        // `read_hidden_line`); `saved` is the termios read from it.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &raw const self.saved) };
    }
}
