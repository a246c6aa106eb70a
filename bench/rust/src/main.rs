//! Ingest benchmark contender 3: the scylla Rust driver.
//!
//! Reads Airbyte messages (one JSON object per line) from --input, parses every line, and for each
//! RECORD inserts (random uuid, compact JSON of `data`, `emitted_at`) with one prepared INSERT,
//! keeping at most --window requests in flight. Prints one JSON line with the counts on stdout.
use std::io::BufRead;
use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::Consistency;
use scylla::value::CqlTimestamp;
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow)]
    record: Option<Record<'a>>,
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
    emitted_at: i64,
}

struct Args {
    hosts: String,
    port: u16,
    user: String,
    password: String,
    keyspace: String,
    table: String,
    window: usize,
    input: String,
}

fn parse_args() -> Args {
    let mut a = Args {
        hosts: "127.0.0.1".into(),
        port: 9042,
        user: String::new(),
        password: String::new(),
        keyspace: "bench".into(),
        table: "airbyte_raw_users".into(),
        window: 1024,
        input: String::new(),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < argv.len() {
        let v = argv[i + 1].clone();
        match argv[i].as_str() {
            "--hosts" => a.hosts = v,
            "--port" => a.port = v.parse().expect("--port"),
            "--user" => a.user = v,
            "--password" => a.password = v,
            "--keyspace" => a.keyspace = v,
            "--table" => a.table = v,
            "--window" => a.window = v.parse().expect("--window"),
            "--input" => a.input = v,
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    assert!(!a.input.is_empty(), "--input FILE is required");
    assert!(a.window > 0, "--window must be > 0");
    a
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args();
    let t0 = Instant::now();
    let mut builder = SessionBuilder::new();
    for h in args.hosts.split(',') {
        builder = builder.known_node(format!("{}:{}", h.trim(), args.port));
    }
    if !args.user.is_empty() {
        builder = builder.user(args.user.clone(), args.password.clone());
    }
    let session: Session = builder.build().await?;
    let mut insert = session
        .prepare(format!(
            "INSERT INTO \"{}\".\"{}\" (\"_airbyte_ab_id\", \"_airbyte_data\", \"_airbyte_emitted_at\") VALUES (?, ?, ?)",
            args.keyspace, args.table
        ))
        .await?;
    insert.set_consistency(Consistency::LocalQuorum);
    insert.set_is_idempotent(true);
    let connected = t0.elapsed().as_secs_f64();

    let file = std::fs::File::open(&args.input)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut in_flight = FuturesUnordered::new();
    let (mut rows, mut other, mut lines) = (0u64, 0u64, 0u64);
    let t1 = Instant::now();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        lines += 1;
        let msg: Message = match serde_json::from_str(line.trim_end()) {
            Ok(m) => m,
            Err(e) => return Err(format!("line {lines}: {e}").into()),
        };
        if msg.kind != "RECORD" {
            other += 1;
            continue;
        }
        let rec = msg.record.ok_or_else(|| format!("line {lines}: RECORD without record"))?;
        let values = (uuid::Uuid::new_v4(), rec.data.get().to_owned(), CqlTimestamp(rec.emitted_at));
        if in_flight.len() >= args.window {
            in_flight.next().await.unwrap()?;
        }
        let s = &session;
        let p = &insert;
        in_flight.push(async move { s.execute_unpaged(p, values).await.map(|_| ()) });
        rows += 1;
    }
    while let Some(r) = in_flight.next().await {
        r?;
    }
    let insert_s = t1.elapsed().as_secs_f64();
    println!(
        "{{\"contender\":\"rust\",\"rows\":{rows},\"other_lines\":{other},\"connect_s\":{connected:.3},\"insert_s\":{insert_s:.3}}}"
    );
    Ok(())
}
