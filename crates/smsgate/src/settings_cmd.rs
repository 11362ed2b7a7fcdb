//! `smsgate settings [PORT]`: RouterOS's `/tool sms print`. Per modem of
//! the config file: its port and channel, whether it receives, polls,
//! auto-erases and sends, its storage, whether SMS commands are enabled
//! and for which numbers (never the secret), and the last USSD answer the
//! running daemon got for it (`last-ussd`, asked on its control socket).

use std::io::Write as _;
use std::path::Path;

use anyhow::bail;
use modem::SmsStorage;
use serde_json::{json, Value};

use crate::cli::SettingsArgs;
use smsgate_daemon::config::ConfigFile;
use smsgate_daemon::control::views::ModemView;
use smsgate_daemon::control::{self, Answer, Request};
use smsgate_daemon::daemon_config::DaemonConfig;

/// Runs `smsgate settings`.
pub(crate) fn run(args: &SettingsArgs) -> anyhow::Result<()> {
    let config_path = crate::config_path::required(args.config.as_deref())?;
    let config = ConfigFile::load(&config_path)?.settings;
    if let Some(port) = &args.port {
        if !config.modems.contains_key(port) && !config.modems.values().any(|modem| modem.port == *port) {
            let names: Vec<&str> = config.modems.keys().map(String::as_str).collect();
            bail!(
                "no modem {port:?} in {} (modems: {})",
                config_path.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            );
        }
    }
    let socket = args.control.clone().or_else(|| config.control_socket.clone());
    let daemon = socket.as_deref().and_then(daemon_modems);
    let settings = settings_json(&config, args.port.as_deref(), daemon.as_ref());
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&settings)?)?;
    } else {
        write!(stdout, "{}", settings_text(&settings))?;
    }
    Ok(())
}

/// The daemon's `modems` answer, if a daemon answers on `socket`.
fn daemon_modems(socket: &Path) -> Option<Vec<ModemView>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    match runtime.block_on(control::ask(socket, &Request::Modems)) {
        Ok(Answer::Done(modems)) => Some(modems),
        _ => None,
    }
}

/// Every modem's settings (those on `port` only, if given), with what the
/// daemon (`daemon`: its `modems` answer; none if it does not run) says.
fn settings_json(config: &DaemonConfig, port: Option<&str>, daemon: Option<&Vec<ModemView>>) -> Value {
    let commands = config.sms_commands.as_ref().map(|commands| {
        let numbers: Vec<&str> = commands
            .allowed_numbers
            .iter()
            .map(|number| number.as_str())
            .collect();
        json!({ "enabled": true, "allowed_numbers": numbers, "reply": commands.reply })
    });
    let modems: Vec<Value> = config
        .modems
        .iter()
        .filter(|(name, modem)| port.is_none_or(|port| *name == port || modem.port == port))
        .map(|(name, modem)| {
            let section = config.ports.get(&modem.port);
            let channel =
                section.and_then(|section| section.devices.iter().position(|device| *device == modem.device));
            let storage = match section.and_then(|section| section.sms_storage) {
                Some(SmsStorage::Modem) => "modem",
                _ => "sim",
            };
            let last_ussd = daemon.map(|daemon| {
                daemon
                    .iter()
                    .find(|listed| listed.name == *name)
                    .and_then(|listed| listed.last_ussd.clone())
            });
            json!({
                "name": name,
                "port": modem.port,
                "device": modem.device.to_string(),
                "channel": channel,
                "receive": modem.receive,
                "polling": modem.polling,
                "auto_erase": modem.auto_erase,
                "send": modem.send,
                "sms_storage": storage,
                "sms_commands": commands.clone().unwrap_or_else(|| json!({ "enabled": false })),
                "daemon": daemon.is_some(),
                "last_ussd": last_ussd.flatten(),
            })
        })
        .collect();
    Value::Array(modems)
}

fn settings_text(settings: &Value) -> String {
    let yes_no = |value: &Value| if value == &Value::Bool(true) { "yes" } else { "no" };
    let mut text = String::new();
    for (modem_idx, modem) in settings.as_array().into_iter().flatten().enumerate() {
        if modem_idx > 0 {
            text.push('\n');
        }
        let commands = &modem["sms_commands"];
        let commands = if commands["enabled"] == Value::Bool(true) {
            let numbers: Vec<&str> = commands["allowed_numbers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!("yes, from {}", numbers.join(", "))
        } else {
            "no".to_owned()
        };
        let last_ussd = match (&modem["daemon"], modem["last_ussd"].as_str()) {
            (_, Some(text)) => text.to_owned(),
            (Value::Bool(true), None) => "none yet".to_owned(),
            _ => "unknown (no daemon answers on the control socket)".to_owned(),
        };
        let rows = [
            ("modem", modem["name"].as_str().unwrap_or_default().to_owned()),
            (
                "port",
                format!(
                    "{} ({}, channel {})",
                    modem["port"].as_str().unwrap_or_default(),
                    modem["device"].as_str().unwrap_or_default(),
                    modem["channel"]
                ),
            ),
            ("receive", yes_no(&modem["receive"]).to_owned()),
            ("polling", yes_no(&modem["polling"]).to_owned()),
            ("auto-erase", yes_no(&modem["auto_erase"]).to_owned()),
            ("send", yes_no(&modem["send"]).to_owned()),
            (
                "sms-storage",
                modem["sms_storage"].as_str().unwrap_or_default().to_owned(),
            ),
            ("sms-commands", commands),
            ("last-ussd", last_ussd),
        ];
        for (name, value) in rows {
            text.push_str(&format!("{:<14}{value}\n", format!("{name}:")));
        }
    }
    if text.is_empty() {
        text.push_str("no modems\n");
    }
    text
}
