//! The live model against a real segment and its dockerd: it runs from the cluster's
//! creation on, and a cluster page's event stream follows containers as the docker CLI
//! makes and removes them, samples the segment's use of the host, sends no container
//! changes while nothing happens, comes back after the segment's dockerd dies and is
//! repaired, and says `gone` once the cluster is deleted.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::{run, segment_pids, Server};
use serde_json::{json, Value};

/// A live page's stream, read by curl: its `data:` messages, and `gone`.
struct Stream {
    curl: Child,
    messages: Receiver<Message>,
}

#[derive(Debug)]
enum Message {
    Data(Value),
    Gone,
}

impl Stream {
    fn open(server: &Server, path: &str) -> Stream {
        let jar = server.data.path().join("ada@example.com.cookies");
        let mut curl = Command::new("curl")
            .args(["-s", "-N", "-b", jar.to_str().unwrap(), &server.url(path)])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(curl.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut gone = false;
            for line in out.lines().map_while(Result::ok) {
                if line == "event: gone" {
                    gone = true;
                } else if let Some(data) = line.strip_prefix("data: ") {
                    let message = if gone { Message::Gone } else { Message::Data(serde_json::from_str(data).unwrap()) };
                    if tx.send(message).is_err() {
                        return;
                    }
                }
            }
        });
        Stream { curl, messages }
    }

    /// Waits for a message `want` accepts; returns it.
    fn until(&self, within: Duration, what: &str, want: impl Fn(&Message) -> bool) -> Message {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if want(&message) => return message,
                Ok(_) => continue,
                Err(_) => panic!("no message with {what} within {within:?}"),
            }
        }
    }

    /// Every message that arrives within `window`.
    fn during(&self, window: Duration) -> Vec<Message> {
        let deadline = Instant::now() + window;
        let mut seen = Vec::new();
        while let Ok(message) = self.messages.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            seen.push(message);
        }
        seen
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.curl.kill();
        let _ = self.curl.wait();
    }
}

/// The containers of the first segment in a page's data, `None` while it is not answering.
fn containers(message: &Message) -> Option<Vec<Value>> {
    match message {
        Message::Data(page) => page["placement"][0]["containers"].as_array().cloned(),
        Message::Gone => None,
    }
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|c| c["name"] == name)
}

fn docker(socket: &str, args: &[&str]) -> String {
    let host = format!("unix://{socket}");
    let mut all = vec!["-H", host.as_str()];
    all.extend_from_slice(args);
    run("docker", &all)
}

#[test]
fn a_cluster_page_follows_its_containers_through_events_and_a_dockerd_restart() {
    let server = Server::start("live");
    let key = server.api_key_for("ada@example.com");
    let (code, created) = server.api(&key, "POST", "/clusters", Some(json!({"cluster_name": "web", "nodes": 1})));
    assert_eq!(code, 201, "{created}");
    let detail = server
        .wait_cluster(&key, "web", Duration::from_secs(180), |code, json| code == 200 && json["status"] == "active");
    let segment = detail["segments"][0]["name"].as_str().unwrap().to_owned();
    let domain = server.domain_of(&segment);
    let socket = server.driver().layout(&domain).docker_socket().display().to_string();

    // The model has run since the cluster was made, page or no page: the first message
    // already has the segment's use of the host (sampled every 10 s: the first reading
    // starts the count, the second makes a sample).
    std::thread::sleep(Duration::from_secs(22));
    let stream = Stream::open(&server, "/live/clusters/web");
    let first = stream.until(Duration::from_secs(10), "the first message", |_| true);
    let Message::Data(page) = &first else { panic!("{first:?}") };
    assert!(page["placement"][0]["usage"].as_array().is_some_and(|u| !u.is_empty()), "{page}");
    assert!(containers(&first).is_some_and(|list| named(&list, "swarm-data").is_some()), "{page}");

    // A container of a compose project appears, running, with its project.
    let started = Instant::now();
    let probe = ["run", "-d", "--name", "probe", "--label", "com.docker.compose.project=shop"];
    docker(&socket, &[&probe[..], &["--memory", "64m", "--cpus", "0.5", "busybox", "sleep", "600"]].concat());
    stream.until(Duration::from_secs(10), "probe running, with its project and reservations", |m| {
        containers(m).is_some_and(|list| {
            named(&list, "probe").is_some_and(|c| {
                c["state"] == "running"
                    && c["group"] == "shop"
                    && c["reserved_memory"] == 64 << 20
                    && c["reserved_millicpu"] == 500
            })
        })
    });
    eprintln!("figure: docker run -> stream {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);

    // The segment's use of the host is sampled every 10 s: CPU, and memory in use.
    let message = stream.until(
        Duration::from_secs(30),
        "a usage sample",
        |m| matches!(m, Message::Data(page) if page["placement"][0]["usage"].as_array().is_some_and(|u| !u.is_empty())),
    );
    let Message::Data(page) = &message else { unreachable!() };
    assert!(page["placement"][0]["usage"][0]["memory"].as_u64().unwrap() > 1 << 20, "{page}");

    // Nothing happens: no container changes are sent (no polling); at most the next
    // usage sample.
    let last = containers(&message);
    let quiet = stream.during(Duration::from_secs(4));
    assert!(quiet.len() <= 1 && quiet.iter().all(|m| containers(m) == last), "an idle cluster's stream sent {quiet:?}");

    // Its dockerd dies: the page says the segment does not answer, then, once the
    // reconciler has repaired it, lists what Docker lists again.
    let pids = segment_pids(&domain, "dockerd");
    assert_eq!(pids.len(), 1, "{pids:?}");
    run("kill", &["-9", &pids[0].to_string()]);
    stream.until(
        Duration::from_secs(30),
        "the segment not answering",
        |m| matches!(m, Message::Data(page) if page["placement"][0]["containers"].is_null()),
    );
    let back = stream.until(Duration::from_secs(90), "the segment answering again", |m| containers(m).is_some());
    // The repair may have made the segment's domain again.
    let socket = server.driver().layout(&server.domain_of(&segment)).docker_socket().display().to_string();
    let listed = docker(&socket, &["ps", "-a", "--format", "{{.Names}}"]);
    let same = |m: &Message| {
        containers(m).is_some_and(|list| {
            let mut names: Vec<&str> = list.iter().map(|c| c["name"].as_str().unwrap()).collect();
            let mut want: Vec<&str> = listed.lines().collect();
            names.sort();
            want.sort();
            names == want
        })
    };
    let message = if same(&back) { back } else { stream.until(Duration::from_secs(20), "what docker ps lists", same) };
    assert!(containers(&message).unwrap().iter().any(|c| c["name"] == "probe"), "{listed}");

    // Events flow again after the reconnection: a removed container vanishes.
    docker(&socket, &["rm", "-f", "probe"]);
    stream.until(Duration::from_secs(10), "probe gone", |m| {
        containers(m).is_some_and(|list| named(&list, "probe").is_none())
    });

    // The cluster is deleted: the stream says so and ends.
    assert_eq!(server.api(&key, "DELETE", "/clusters/web", None).0, 202);
    stream.until(Duration::from_secs(90), "gone", |m| matches!(m, Message::Gone));
    server.wait_cluster(&key, "web", Duration::from_secs(60), |code, _| code == 404);
}
