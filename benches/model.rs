//! How long reading and checking a definition takes, for each pathological shape an
//! untrusted caller could send (benches/common/shapes.rs), at a quarter of the size
//! limit and at the limit: linear code takes about four times as long for four times the
//! input, quadratic code sixteen times. Prints figures; asserts nothing about time.
//!
//!   cargo bench --bench model

// A benchmark harness: a failure is a failed run, so unwrapping is the right reaction.
#![allow(clippy::unwrap_used)]

#[path = "common/shapes.rs"]
mod shapes;

use std::time::{Duration, Instant};

use virtnet::model::limits::MAX_DOCUMENT_BYTES;
use virtnet::model::parse_definition;

/// The median time of reading and checking `xml`, and how many problems it has.
fn time(xml: &str) -> (Duration, usize) {
    let mut samples = Vec::new();
    let mut problems = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let result = parse_definition(xml);
        samples.push(started.elapsed());
        problems = match result {
            Ok(_) => 0,
            Err(e) => virtnet::model::Problems::from(e).len(),
        };
    }
    samples.sort();
    (samples[samples.len() / 2], problems)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    println!("{:<42} {:>12} {:>12} {:>7} {:>9}", "shape (parse + validate)", "256 KiB", "1 MiB", "growth", "problems");
    let mut worst = ("", Duration::ZERO);
    for (name, make) in shapes::SHAPES {
        let quarter = make(MAX_DOCUMENT_BYTES / 4);
        let full = make(MAX_DOCUMENT_BYTES);
        let (small, _) = time(&quarter);
        let (large, problems) = time(&full);
        let growth = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
        println!("{name:<42} {:>12} {:>12} {:>6.1}x {problems:>9}", ms(small), ms(large), growth);
        if large > worst.1 {
            worst = (name, large);
        }
    }
    println!("worst 1 MiB definition: {} ({})", ms(worst.1), worst.0);
}
