//! The details pane, built once the window has drawn its first frame. Its widgets are
//! most of the window's: building and styling them before the window showed made it
//! appear about 25 ms later (`build-aux/bench-gui`). Messages sent to it before then
//! wait in its channel, so the rest of the window talks to it as to any component.

use std::cell::Cell;

use relm4::gtk;
use relm4::gtk::glib;
use relm4::gtk::prelude::*;
use relm4::prelude::*;
use relm4::{MessageBroker, Sender};

use crate::ui::details::{Details, DetailsInput, DetailsOutput};

pub(super) struct DetailsPane {
    input: Sender<DetailsInput>,
    /// The content's page for a network: holds the details' own widget once built.
    holder: gtk::Box,
}

impl DetailsPane {
    /// A pane whose details are built after `window`'s first frame, their reports
    /// turned into `T` for `parent`.
    pub(super) fn new<T: 'static>(
        window: &impl IsA<gtk::Widget>,
        parent: Sender<T>,
        report: impl Fn(DetailsOutput) -> T + 'static,
    ) -> DetailsPane {
        let broker = MessageBroker::new();
        let input = broker.sender().clone();
        let holder = gtk::Box::builder().orientation(gtk::Orientation::Vertical).build();
        let pending = Cell::new(Some((broker, parent, report)));
        let into = holder.clone();
        window.add_tick_callback(move |_, _| {
            // The first frame is being drawn: build once it is on screen.
            if let Some((broker, parent, report)) = pending.take() {
                let into = into.clone();
                glib::idle_add_local_once(move || {
                    let mut details = Details::builder().launch_with_broker((), &broker).forward(&parent, report);
                    into.append(details.widget());
                    // It lives as long as the window, which holds its widget.
                    details.detach_runtime();
                });
            }
            glib::ControlFlow::Break
        });
        DetailsPane { input, holder }
    }

    pub(super) fn emit(&self, message: DetailsInput) {
        self.input.emit(message);
    }

    /// The widget that holds the details (sensitive or not for all of them).
    pub(super) fn widget(&self) -> &gtk::Box {
        &self.holder
    }
}
