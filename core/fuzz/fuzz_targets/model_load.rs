//! Fuzzes model-file parsing and loading: any bytes must be refused with
//! an error or parse to a model that loads into a matching target; a
//! failed load must change nothing.
#![no_main]

use hinf::*;
use libfuzzer_sys::fuzz_target;

fn try_load<T: Real>(m: &Model<'_>) {
    let spec = m.spec();
    let n = spec.n_weights();
    if n > 4096 {
        return;
    }
    let mut net = ResNet::new(spec, vec![T::ZERO; spec.buffer_len()]).expect("net");
    let w0 = net.weights().to_vec();
    if m.load_network(&mut net).is_err() {
        assert!(net.weights() == &w0[..]);
        return;
    }
    if m.has_covariance() && n <= 512 {
        let cov = PackedCovariance::new(n, T::ONE, vec![T::ZERO; packed_len(n)]).expect("cov");
        let mut f = GEhf::new(GEhfConfig::default(), cov, vec![T::ZERO; n]).expect("filter");
        m.load_gehf(&mut net, &mut f)
            .expect("a parsed g-EHF section must load");
        // And round-trips bit for bit.
        let mut again = vec![0u8; model::saved_len::<T>(&spec, true, false)];
        model::save_gehf(&net, &f, &mut again).expect("save");
        let m2 = Model::parse(&again).expect("re-parse");
        assert_eq!(m2.spec(), spec);
    }
    if m.adam_config().is_some() {
        let mut adam = Adam::new(AdamConfig::default(), n, vec![T::ZERO; 3 * n]).expect("adam");
        m.load_adam(&mut net, &mut adam)
            .expect("a parsed Adam section must load");
    }
}

fuzz_target!(|data: &[u8]| {
    // Raw bytes, and the same bytes with a valid CRC trailer so that the
    // fuzzer also reaches the checks after the checksum.
    let mut fixed = data.to_vec();
    if fixed.len() >= 8 {
        let n = fixed.len() - 4;
        let c = model::crc32(&fixed[..n]);
        fixed[n..].copy_from_slice(&c.to_le_bytes());
    }
    for bytes in [data, &fixed[..]] {
        if let Ok(m) = Model::parse(bytes) {
            match m.precision() {
                4 => try_load::<f32>(&m),
                _ => try_load::<f64>(&m),
            }
        }
    }
});
