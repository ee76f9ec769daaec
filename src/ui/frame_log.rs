//! For build-aux/bench-gui only: with `VIRTNET_MANAGER_FRAME_LOG=FILE`, the window writes
//! a line per drawn frame (`frame MICROSECONDS`, CLOCK_MONOTONIC) and one when the list
//! is filled (`networks COUNT MICROSECONDS`), so the bench can tell start-up time and
//! find stalls while scrolling. Without the variable nothing is recorded.

use std::cell::RefCell;
use std::fs::File;
use std::io::Write;
use std::rc::Rc;

use relm4::gtk;
use relm4::gtk::glib;
use relm4::gtk::prelude::*;

const VARIABLE: &str = "VIRTNET_MANAGER_FRAME_LOG";

#[derive(Clone, Default)]
pub struct FrameLog(Option<Rc<RefCell<File>>>);

impl FrameLog {
    /// Starts logging the frames of `window` if the variable asks for it.
    pub fn start(window: &impl IsA<gtk::Widget>) -> FrameLog {
        let Some(path) = std::env::var_os(VARIABLE) else { return FrameLog(None) };
        let Ok(file) = File::create(&path) else { return FrameLog(None) };
        let log = FrameLog(Some(Rc::new(RefCell::new(file))));
        let frames = log.clone();
        // A tick callback keeps the frame clock running, so every frame is seen.
        window.add_tick_callback(move |_, clock| {
            frames.write(&format!("frame {}", clock.frame_time()));
            glib::ControlFlow::Continue
        });
        log
    }

    pub fn networks(&self, count: usize) {
        self.write(&format!("networks {count} {}", glib::monotonic_time()));
    }

    fn write(&self, line: &str) {
        if let Some(file) = &self.0 {
            let _ = writeln!(file.borrow_mut(), "{line}");
        }
    }
}
