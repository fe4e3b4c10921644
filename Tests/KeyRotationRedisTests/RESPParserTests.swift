import KeyRotationRedis
import Testing

@Suite struct RESPParserTests {
    private func parse(_ text: String) throws -> RedisReply? {
        var index = 0
        return try RESPParser.parse(Array(text.utf8), from: &index)
    }

    @Test func readsRESP2Replies() throws {
        #expect(try self.parse("+OK\r\n") == .simple("OK"))
        #expect(try self.parse("-ERR bad\r\n") == .error("ERR bad"))
        #expect(try self.parse(":-42\r\n") == .integer(-42))
        #expect(try self.parse("$3\r\nabc\r\n") == .bulk(Array("abc".utf8)))
        #expect(try self.parse("$-1\r\n") == .null)
        #expect(try self.parse("*2\r\n:1\r\n$0\r\n\r\n") == .array([.integer(1), .bulk([])]))
        #expect(try self.parse("*-1\r\n") == .null)
    }

    @Test func readsRESP3Replies() throws {
        #expect(try self.parse("_\r\n") == .null)
        #expect(try self.parse("#t\r\n") == .boolean(true))
        #expect(try self.parse(",1.5\r\n") == .double(1.5))
        #expect(try self.parse("%1\r\n+a\r\n:1\r\n") == .array([.simple("a"), .integer(1)]))
        #expect(try self.parse("~1\r\n:7\r\n") == .array([.integer(7)]))
        #expect(try self.parse("=7\r\ntxt:abc\r\n") == .simple("abc"))
        #expect(try self.parse("!3\r\nbad\r\n") == .error("bad"))
        #expect(try self.parse("|1\r\n+k\r\n+v\r\n:5\r\n") == .integer(5))
    }

    @Test func incompleteRepliesWaitForMoreBytes() throws {
        for partial in ["", "+OK", "+OK\r", "$3\r\nab", "*2\r\n:1\r\n", "$3\r\nabc\r"] {
            #expect(try self.parse(partial) == nil, "\(partial.debugDescription)")
        }
        var index = 0
        let bytes = Array("+A\r\n:2\r\n".utf8)
        #expect(try RESPParser.parse(bytes, from: &index) == .simple("A"))
        #expect(try RESPParser.parse(bytes, from: &index) == .integer(2))
        #expect(index == bytes.count)
    }

    @Test(arguments: [
        "hello\r\n", ":12a\r\n", "$abc\r\n", "$3\r\nabcXY", "*-5\r\n", "#x\r\n", "+OK\rX", "$99999999999\r\n",
    ])
    func malformedRepliesThrowClearErrors(_ text: String) throws {
        let error = try #require(throws: RedisError.self) { try self.parse(text) }
        #expect(error.code == .malformedReply)
        #expect(error.message.contains("not RESP"))
    }
}
