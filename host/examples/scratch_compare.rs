use clap::Parser;
#[derive(Parser)]
struct A {
    #[command(flatten)]
    c: host::own_data::CompareArgs,
}
fn main() {
    let a = A::parse();
    if let Err(e) = host::own_data::run_compare(&a.c) {
        eprintln!("{e:?}");
    }
}
