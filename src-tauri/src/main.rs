// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    match conclave_desktop::Mode::parse(std::env::args().skip(1)) {
        Ok(mode) => conclave_desktop::run(mode),
        Err(text) if text == conclave_desktop::USAGE => println!("{text}"),
        Err(text) => {
            eprintln!("conclave-desktop: {text}");
            std::process::exit(2);
        }
    }
}
