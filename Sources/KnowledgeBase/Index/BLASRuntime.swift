import COpenBLAS

/// The OpenBLAS library kb links: which kernel it picked and how many threads it uses.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose for this CPU (`Haswell`, `SkylakeX`, `Zen`…).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS runs a large call on.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads OpenBLAS uses, process-wide; for benchmarks and tools that own the whole process.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
