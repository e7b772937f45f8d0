//! The playground's entry point (built by Trunk).

fn main() {
    netplay_web::run();
}
