//! Process exit codes the subcommands share.

/// Exit code for a usage or I/O error (clap uses the same for argument errors).
pub const EXIT_USAGE: u8 = 2;
