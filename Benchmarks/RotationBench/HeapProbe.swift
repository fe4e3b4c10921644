import CAllocationCounter

#if canImport(Glibc)
    import Glibc
#endif

/// Bytes the process's heap holds now, from glibc's `mallinfo2()`, or `nil` where it can't be read.
///
/// `mallinfo2` is not in Swift's Glibc module map, so it is looked up with `dlsym`. It returns an 80-byte struct,
/// which the x86-64 System V ABI returns through a hidden pointer passed as the first argument: calling it as a
/// function of that one pointer is exact there, and only there (other architectures pass that pointer elsewhere),
/// hence the `arch` check. Allocation *counts* come from `AllocationProbe` below.
enum HeapProbe {
    #if os(Linux) && arch(x86_64)
        private typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> Void

        private static let function: MallInfo2? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
            return unsafeBitCast(symbol, to: MallInfo2.self)
        }()

        static func bytesInUse() -> Int? {
            guard let function = Self.function else { return nil }
            // struct mallinfo2 { arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost }
            var fields = [Int](repeating: 0, count: 10)
            fields.withUnsafeMutableBytes { function($0.baseAddress!) }
            return fields[7] + fields[4]  // bytes in malloc'd chunks + bytes in mmapped chunks
        }
    #else
        static func bytesInUse() -> Int? { nil }
    #endif
}

/// Heap allocations the process has made so far, counted by the `CAllocationCounter` wrappers around glibc's
/// allocator (linked into this executable only), or `nil` where they are not built.
enum AllocationProbe {
    static func count() -> Int? {
        let count = keyrotation_allocation_count()
        return count < 0 ? nil : Int(count)
    }
}
