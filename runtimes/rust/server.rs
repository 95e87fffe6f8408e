// std::net::TcpListener::bind, as its documentation shows it: 127.0.0.1 and
// the port from the command line, connections taken in turn.
use std::io::Read;
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).expect("port");
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    for stream in listener.incoming() {
        let mut buf = [0u8; 1];
        let _ = stream?.read(&mut buf);
    }
    Ok(())
}
