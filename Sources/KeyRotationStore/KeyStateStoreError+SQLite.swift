import CSQLite
import KeyRotation

extension KeyStateStoreError {
    /// What to do with a damaged store; said in every ``KeyStateStoreError/Code/corrupt`` message.
    static let corruptAdvice = "move it aside or delete it to start over; quotas recorded in it will be forgotten"

    /// The store at `path` is damaged.
    static func corrupt(path: String, detail: String) -> Self {
        Self(.corrupt, "the store at \(path) is damaged (\(detail)); \(Self.corruptAdvice)")
    }

    /// The store at `path` can't be opened or read.
    static func unreadable(path: String, detail: String) -> Self {
        Self(
            .unreadable,
            "cannot open the store at \(path) (\(detail)); check that its directory exists and that this user may "
                + "read and write both, or use another file"
        )
    }

    /// Maps an SQLite result code to the store error it means.
    static func sqlite(code: Int32, detail: String, path: String) -> Self {
        switch code & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .corrupt(path: path, detail: detail)
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH, SQLITE_IOERR:
            return .unreadable(path: path, detail: detail)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return Self(
                .busy,
                "the store at \(path) stayed locked by another process past the busy timeout (\(detail), code \(code)); "
                    + "retry, or raise the busy timeout"
            )
        case SQLITE_FULL:
            return Self(.unavailable, "the store at \(path) can't grow (\(detail)); free disk space and retry")
        default:
            return Self(.unavailable, "the store at \(path) failed (\(detail), SQLite code \(code)); retry")
        }
    }
}
