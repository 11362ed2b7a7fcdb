//! Command-line tests: each runs the real `smsgate` binary and checks what
//! it prints and how it exits, as a user or a script would see it.
//!
//! One test binary for all of them (ripgrep's layout), so they link once.

#[macro_use]
mod macros;
mod util;

mod admin_messages;
mod console_browser;
mod control;
mod daemon;
mod daemon_chores;
mod daemon_commands;
mod daemon_hang;
mod daemon_intake;
mod daemon_limits;
mod daemon_receive;
mod daemon_recovery;
mod demo_http;
mod help;
mod http_admin;
mod http_api;
mod http_plan_resend;
mod import_smsd_conf;
mod journal_fields;
mod live_ops;
mod modem_commands;
mod one_config;
mod one_shot;
mod pdu_decode;
mod pdu_encode;
mod port_identity;
mod port_identity_replug;
mod service;
mod sim;
mod smsd_production;
mod spool_bench;
mod voicecall;
mod webhook_delivery;
mod webhooks;
