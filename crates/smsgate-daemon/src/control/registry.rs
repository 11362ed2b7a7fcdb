//! The daemon's modems by name, as the control socket finds them: by
//! modem name, device (also through a symlink) or port name.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use modem::{ModemHandle, PortAddress};

use super::views::ModemView;
use crate::inbox::ReceivedDirs;
use crate::ops::DaemonOps;
use crate::ussd_handler::UssdHandler;

/// The daemon's modems by name, for the control socket: filled as each
/// modem's driver is started (also one still trying to open its port),
/// emptied when the daemon stops.
#[derive(Clone, Debug, Default)]
pub struct ModemRegistry {
    modems: Arc<Mutex<BTreeMap<String, Registered>>>,
    /// The daemon's live operations, for the requests that are not a
    /// modem's (ops.rs).
    ops: Arc<Mutex<Option<DaemonOps>>>,
}

#[derive(Clone, Debug)]
pub(crate) struct Registered {
    pub(crate) handle: ModemHandle,
    /// The `[ports.NAME]` it uses.
    port: String,
    device: PortAddress,
    /// When the daemon receives for it: where, and so its inbox.
    pub(crate) received: Option<ReceivedDirs>,
    /// The text of the last USSD answer it got through this socket
    /// (RouterOS's `last-ussd`).
    last_ussd: Option<String>,
    /// Its `eventhandler-ussd`.
    pub(crate) ussd_handler: Option<UssdHandler>,
}

impl ModemRegistry {
    /// Adds modem `name`, or replaces its handle (a restarted driver).
    pub(crate) fn register(
        &self,
        name: &str,
        port: &str,
        device: &PortAddress,
        handle: &ModemHandle,
        received: Option<ReceivedDirs>,
    ) {
        if let Ok(mut modems) = self.modems.lock() {
            // A restarted driver keeps what the modem last heard.
            let last_ussd = modems.get(name).and_then(|modem| modem.last_ussd.clone());
            let ussd_handler = modems.get(name).and_then(|modem| modem.ussd_handler.clone());
            let registered = Registered {
                handle: handle.clone(),
                port: port.to_owned(),
                device: device.clone(),
                received,
                last_ussd,
                ussd_handler,
            };
            modems.insert(name.to_owned(), registered);
        }
    }

    /// Sets modem `name`'s `eventhandler-ussd`.
    pub(crate) fn set_ussd_handler(&self, name: &str, handler: Option<UssdHandler>) {
        if let Ok(mut modems) = self.modems.lock() {
            if let Some(modem) = modems.get_mut(name) {
                modem.ussd_handler = handler;
            }
        }
    }

    /// Remembers `text` as modem `name`'s last USSD answer.
    pub(crate) fn set_last_ussd(&self, name: &str, text: String) {
        if let Ok(mut modems) = self.modems.lock() {
            if let Some(modem) = modems.get_mut(name) {
                modem.last_ussd = Some(text);
            }
        }
    }

    /// Every modem's name and handle, by name (the HTTP API's modem list).
    pub(crate) fn handles(&self) -> Vec<(String, ModemHandle)> {
        let Ok(modems) = self.modems.lock() else {
            return Vec::new();
        };
        modems
            .iter()
            .map(|(name, modem)| (name.clone(), modem.handle.clone()))
            .collect()
    }

    /// The daemon's live operations.
    pub(crate) fn set_ops(&self, ops: DaemonOps) {
        if let Ok(mut kept) = self.ops.lock() {
            *kept = Some(ops);
        }
    }

    pub(crate) fn ops(&self) -> Option<DaemonOps> {
        self.ops.lock().ok().and_then(|ops| ops.clone())
    }

    /// Forgets modem `name` (closed by a reload or a reopen), giving its
    /// handle back.
    pub(crate) fn remove(&self, name: &str) -> Option<ModemHandle> {
        let mut modems = self.modems.lock().ok()?;
        modems.remove(name).map(|modem| modem.handle)
    }

    /// Forgets every modem, dropping the handles kept here.
    pub fn clear(&self) {
        if let Ok(mut modems) = self.modems.lock() {
            modems.clear();
        }
    }

    /// The modem that `port` and `device` name. A `device` is the client's
    /// resolution of `port` by its config file (`--channel` included): it
    /// alone decides. Else `port` is a modem name, a device, or the port
    /// name of one modem alone.
    pub(crate) fn find(&self, port: &str, device: Option<&str>) -> Result<(String, Registered), String> {
        let modems = self
            .modems
            .lock()
            .map_err(|_| "the modem registry is poisoned".to_owned())?;
        let by_device = |text: &str| {
            let wanted: PortAddress = text.parse().ok()?;
            modems
                .iter()
                .find(|(_, modem)| same_device(&wanted, &modem.device))
        };
        let found = match device {
            Some(device) => by_device(device),
            None => modems
                .get_key_value(port)
                .or_else(|| by_device(port))
                .or_else(|| {
                    let mut on_port = modems.iter().filter(|(_, modem)| modem.port == port);
                    match (on_port.next(), on_port.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }),
        };
        match found {
            Some((name, modem)) => Ok((name.clone(), modem.clone())),
            None => {
                let known: Vec<String> = modems
                    .iter()
                    .map(|(name, modem)| format!("{name} (port {}, {})", modem.port, modem.device))
                    .collect();
                Err(format!(
                    "no modem {port:?} in this daemon (modems: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            }
        }
    }

    /// Every modem, by name.
    pub(crate) fn list(&self) -> Vec<ModemView> {
        let Ok(modems) = self.modems.lock() else {
            return Vec::new();
        };
        modems
            .iter()
            .map(|(name, modem)| ModemView {
                device: modem.device.to_string(),
                last_ussd: modem.last_ussd.clone(),
                name: name.clone(),
                port: modem.port.clone(),
            })
            .collect()
    }
}

/// The same device, also when one of the two paths is a symlink to it
/// (the simulator's `DIR/modemN`, udev's `/dev/serial/by-id/...`).
fn same_device(a: &PortAddress, b: &PortAddress) -> bool {
    match (a, b) {
        (PortAddress::Serial(a), PortAddress::Serial(b)) => {
            a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
        }
        _ => a == b,
    }
}
