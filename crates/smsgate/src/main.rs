//! The `smsgate` command.

fn main() {}
