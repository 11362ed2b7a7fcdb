//! The TCP transport on its own: a stand-in modem task answers `OK` to
//! every CR; clients connect over loopback as to a ser2net port.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use modem_sim::tcp::TcpPort;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_secs(5);

/// The port's task; aborted when dropped, so a failing test does not leave
/// it running.
struct Line {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Line {
    async fn start() -> Line {
        let mut port = TcpPort::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = port.local_addr();
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                tokio::select! {
                    n_read = port.read(&mut buf) => {
                        for _ in buf[..n_read].iter().filter(|&&byte| byte == b'\r') {
                            port.write_all(b"\r\nOK\r\n").await;
                        }
                    }
                    _ = &mut stopped => return,
                }
            }
        });
        Line {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(TIMEOUT, self.task.take().unwrap())
            .await
            .unwrap()
            .unwrap();
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Sends `AT` and reads until `OK`.
fn at(stream: &mut TcpStream) -> Result<String, String> {
    stream.write_all(b"AT\r").map_err(|err| err.to_string())?;
    let deadline = Instant::now() + TIMEOUT;
    let mut received = Vec::new();
    while !received.ends_with(b"\r\nOK\r\n") {
        if Instant::now() > deadline {
            return Err(format!("timed out; got {:?}", String::from_utf8_lossy(&received)));
        }
        let mut buf = [0u8; 256];
        match stream.read(&mut buf) {
            Ok(0) => return Err("closed".to_owned()),
            Ok(n_read) => received.extend_from_slice(&buf[..n_read]),
            Err(err) => return Err(err.to_string()),
        }
    }
    Ok(String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_flow_both_ways() {
    let line = Line::start().await;
    let mut client = connect(line.addr);
    assert_eq!(at(&mut client).unwrap(), "\r\nOK\r\n");
    assert_eq!(at(&mut client).unwrap(), "\r\nOK\r\n");
    line.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_at_a_time() {
    let line = Line::start().await;
    let mut first = connect(line.addr);
    assert_eq!(at(&mut first).unwrap(), "\r\nOK\r\n");

    // The port is in use: a second client is closed without an answer.
    let mut second = connect(line.addr);
    let _ = second.write_all(b"AT\r");
    let mut buf = [0u8; 16];
    let read = second.read(&mut buf);
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert_eq!(at(&mut first).unwrap(), "\r\nOK\r\n");

    // Once the first goes away, the next one gets the modem.
    drop(first);
    let deadline = Instant::now() + TIMEOUT;
    let mut third = loop {
        let mut candidate = connect(line.addr);
        if at(&mut candidate).is_ok() {
            break candidate;
        }
        // The first client's close may not have been noticed yet.
        assert!(Instant::now() < deadline, "port never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(at(&mut third).unwrap(), "\r\nOK\r\n");
    line.stop().await;
}
