//! The PTY transport on its own, driven by a stand-in for the modem task
//! (it answers `OK` to every CR and records what it read), against clients
//! that open the symlink with real file I/O as smsd and gammu do.

mod shell_support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use modem_sim::pty::{PtyPort, RAW_CHECK_INTERVAL};
use nix::sys::termios::LocalFlags;
use shell_support::{SerialClient, TIMEOUT};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What the test asks of the line task.
enum LineCommand {
    Write(Vec<u8>, oneshot::Sender<()>),
    Replug(oneshot::Sender<()>),
    Unplug(oneshot::Sender<()>),
    Plug(oneshot::Sender<()>),
    Stop,
}

/// The port and its task; stops the task when dropped, so a failing test
/// does not leave it running.
struct Line {
    link: PathBuf,
    /// Everything the task read from the master side.
    input: Arc<Mutex<Vec<u8>>>,
    commands: mpsc::UnboundedSender<LineCommand>,
    task: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Line {
    fn start() -> Line {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("modem0");
        let port = PtyPort::open(&link).unwrap();
        let input = Arc::new(Mutex::new(Vec::new()));
        let (commands, receiver) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_line(port, receiver, Arc::clone(&input)));
        Line {
            link,
            input,
            commands,
            task: Some(task),
            _dir: dir,
        }
    }

    async fn request(&self, make: impl FnOnce(oneshot::Sender<()>) -> LineCommand) {
        let (done, wait) = oneshot::channel();
        self.commands.send(make(done)).unwrap();
        tokio::time::timeout(TIMEOUT, wait).await.unwrap().unwrap();
    }

    async fn write(&self, bytes: &[u8]) {
        let bytes = bytes.to_vec();
        self.request(|done| LineCommand::Write(bytes, done)).await;
    }

    fn input(&self) -> String {
        String::from_utf8_lossy(&self.input.lock().unwrap()).into_owned()
    }

    fn target(&self) -> PathBuf {
        std::fs::read_link(&self.link).unwrap()
    }

    /// Stops the task and waits for it, so that its port is closed and the
    /// link removed before the test checks.
    async fn stop(mut self) {
        let _ = self.commands.send(LineCommand::Stop);
        if let Some(task) = self.task.take() {
            tokio::time::timeout(TIMEOUT, task).await.unwrap().unwrap();
        }
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn run_line(
    mut port: PtyPort,
    mut commands: mpsc::UnboundedReceiver<LineCommand>,
    input: Arc<Mutex<Vec<u8>>>,
) {
    let mut raw_check = tokio::time::interval(RAW_CHECK_INTERVAL);
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = port.read(&mut buf) => {
                let bytes = &buf[..read.unwrap()];
                input.lock().unwrap().extend_from_slice(bytes);
                for _ in bytes.iter().filter(|&&byte| byte == b'\r') {
                    port.write_all(b"\r\nOK\r\n").await.unwrap();
                }
            }
            command = commands.recv() => match command {
                Some(LineCommand::Write(bytes, done)) => {
                    port.write_all(&bytes).await.unwrap();
                    let _ = done.send(());
                }
                Some(LineCommand::Replug(done)) => {
                    port.replug().unwrap();
                    let _ = done.send(());
                }
                Some(LineCommand::Unplug(done)) => {
                    port.unplug().unwrap();
                    let _ = done.send(());
                }
                Some(LineCommand::Plug(done)) => {
                    port.plug().unwrap();
                    let _ = done.send(());
                }
                Some(LineCommand::Stop) | None => return,
            },
            _ = raw_check.tick() => {
                port.ensure_raw().unwrap();
            }
        }
    }
}

fn assert_raw(client: &SerialClient) {
    let flags = client.termios().local_flags;
    assert!(
        !flags.intersects(LocalFlags::ECHO | LocalFlags::ICANON | LocalFlags::ISIG),
        "{flags:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_flow_both_ways() {
    let line = Line::start();
    assert!(
        line.target().starts_with("/dev/pts"),
        "{}",
        line.target().display()
    );
    let mut client = SerialClient::open(&line.link).unwrap();
    assert_raw(&client);

    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    assert_eq!(line.input(), "AT\r");

    // Every byte value passes unchanged: no CR/NL mapping, no flow control
    // characters eaten, no signals.
    let all_bytes: Vec<u8> = (0..=255).collect();
    line.write(&all_bytes).await;
    let mut received = Vec::new();
    while received.len() < all_bytes.len() {
        let chunk = client.read_for(Duration::from_millis(200)).unwrap();
        assert!(!chunk.is_empty(), "only {} of 256 bytes arrived", received.len());
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, all_bytes);
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_can_detach_and_reattach() {
    let line = Line::start();
    let mut client = SerialClient::open(&line.link).unwrap();
    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    // Like gammu restoring the settings it found, this client leaves the
    // line cooked with echo on when it closes.
    client.make_cooked();
    drop(client);

    // Written while nobody is attached: must neither fail nor come back to
    // the simulator as input (gotcha 19).
    line.write(b"\r\n+CMTI: \"SM\",1\r\n").await;
    tokio::time::sleep(RAW_CHECK_INTERVAL * 2).await;
    assert_eq!(line.input(), "AT\r");

    let mut client = SerialClient::open(&line.link).unwrap();
    assert_raw(&client);
    // The URC written while detached is still in the line, as it would be
    // in a USB modem's buffer.
    assert_eq!(client.read_until("1\r\n").unwrap(), "\r\n+CMTI: \"SM\",1\r\n");
    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    assert_eq!(line.input(), "AT\rAT\r");
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_mode_survives_a_client_changing_termios() {
    let line = Line::start();
    let mut client = SerialClient::open(&line.link).unwrap();
    client.make_cooked();
    // The periodic check puts it back without any traffic.
    let deadline = Instant::now() + TIMEOUT;
    while client.termios().local_flags.contains(LocalFlags::ECHO) {
        assert!(Instant::now() < deadline, "raw mode was not restored");
        tokio::time::sleep(RAW_CHECK_INTERVAL / 4).await;
    }
    assert_raw(&client);

    // Cooked again, and straight away a write: checked before the write,
    // so the bytes are not echoed back.
    client.make_cooked();
    line.write(b"\r\nRING\r\n").await;
    assert_eq!(client.read_until("RING\r\n").unwrap(), "\r\nRING\r\n");
    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    assert_eq!(line.input(), "AT\r");
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replug_gives_a_new_pts_behind_the_same_link() {
    let line = Line::start();
    let old_target = line.target();
    let mut old_client = SerialClient::open(&line.link).unwrap();
    assert_eq!(old_client.command("AT").unwrap(), "\r\nOK\r\n");

    line.request(LineCommand::Replug).await;
    let new_target = line.target();
    assert_ne!(new_target, old_target);

    // The old client sees the hangup: a write fails, a read ends.
    assert!(
        old_client.write(b"AT\r").is_err(),
        "write to a closed PTY succeeded"
    );
    let read = old_client.read_for(Duration::from_millis(200));
    assert!(
        read.as_ref().is_err() || read.as_ref().unwrap().is_empty(),
        "{read:?}"
    );

    let mut client = SerialClient::open(&line.link).unwrap();
    assert_raw(&client);
    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplug_removes_the_link_and_plug_restores_it() {
    let line = Line::start();
    let mut client = SerialClient::open(&line.link).unwrap();
    line.request(LineCommand::Unplug).await;
    assert!(
        std::fs::symlink_metadata(&line.link).is_err(),
        "link still there while unplugged"
    );
    assert!(client.write(b"AT\r").is_err());
    // Writes while unplugged are lost, not errors.
    line.write(b"lost").await;

    line.request(LineCommand::Plug).await;
    let mut client = SerialClient::open(&line.link).unwrap();
    assert_eq!(client.command("AT").unwrap(), "\r\nOK\r\n");
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_link_is_replaced_and_link_removed_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("modem3");
    std::os::unix::fs::symlink("/nonexistent/pts/99", &link).unwrap();
    let port = PtyPort::open(&link).unwrap();
    assert_eq!(std::fs::read_link(&link).unwrap(), port.slave_path().unwrap());
    drop(port);
    assert!(std::fs::symlink_metadata(&link).is_err(), "link left behind");
    // No temporary links left either.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_with_no_client_never_stalls() {
    let line = Line::start();
    // More than the PTY buffers hold; nobody reads it.
    let started = Instant::now();
    line.write(&vec![b'x'; 64 * 1024]).await;
    assert!(started.elapsed() < TIMEOUT, "write took {:?}", started.elapsed());
    let mut client = SerialClient::open(&line.link).unwrap();
    let _stale = client.read_for(Duration::from_millis(100)).unwrap();
    assert!(client.command("AT").unwrap().ends_with("\r\nOK\r\n"));
    line.stop().await;
}
