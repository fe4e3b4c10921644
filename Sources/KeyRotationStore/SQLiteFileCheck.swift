import KeyRotation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks an existing store file's header before SQLite opens it, so damage is reported, never papered over.
///
/// SQLite treats a missing or empty file as a new database; anything else must start with SQLite's magic string,
/// carry a valid page size, and be at least as long as its header says (a truncated copy loses pages silently).
enum SQLiteFileCheck {
    private static let magic = Array("SQLite format 3\0".utf8)

    static func validate(path: String) throws {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT { return }  // a new store; SQLite reports a missing directory
            throw KeyStateStoreError.unreadable(path: path, detail: Self.describe(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw KeyStateStoreError.unreadable(path: path, detail: "it is a directory")
        }
        let size = Int64(info.st_size)
        if size == 0 { return }
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw KeyStateStoreError.unreadable(path: path, detail: Self.describe(errno))
        }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 100)
        let count = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 100, 0) }
        if count < 0 {
            throw KeyStateStoreError.unreadable(path: path, detail: Self.describe(errno))
        }
        guard count == 100 else {
            throw KeyStateStoreError.corrupt(path: path, detail: "only \(size) bytes, shorter than an SQLite header")
        }
        guard Array(header[0..<16]) == Self.magic else {
            throw KeyStateStoreError.corrupt(path: path, detail: "not an SQLite database")
        }
        let rawPageSize = Int64(header[16]) << 8 | Int64(header[17])
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            throw KeyStateStoreError.corrupt(path: path, detail: "invalid page size \(rawPageSize) in the header")
        }
        let pageCount = Self.bigEndian(header, at: 28)
        let changeCounter = Self.bigEndian(header, at: 24)
        let validFor = Self.bigEndian(header, at: 92)
        // The header's page count is trusted only when it was written with the current change counter; a
        // non-empty write-ahead log may still hold pages the main file lacks.
        var walInfo = stat()
        let hasWAL = stat(path + "-wal", &walInfo) == 0 && walInfo.st_size > 0
        if pageCount > 0, validFor == changeCounter, !hasWAL, size < pageCount * pageSize {
            throw KeyStateStoreError.corrupt(
                path: path,
                detail: "truncated: \(size) bytes, the header says \(pageCount * pageSize)"
            )
        }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> Int64 {
        bytes[offset..<offset + 4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
