//! The `gw-sim` command: `serve`, `terminal`, `dukpt`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(gw_sim::cli::run(&args));
}
