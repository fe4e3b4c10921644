/// A positional argument a command accepts, such as `IOC...` or `FILE`.
struct ArgumentSpec: Hashable, Sendable {
    /// How many values the argument takes.
    enum Arity: Hashable, Sendable {
        /// Exactly one.
        case required
        /// Zero or one.
        case optional
        /// Any number, including none.
        case zeroOrMore
        /// At least one.
        case oneOrMore
    }

    /// The name in usage lines, upper case (`IOC`).
    var name: String
    /// One line for the help.
    var help: String
    /// How many values.
    var arity: Arity

    /// Creates an argument.
    init(_ name: String, help: String, arity: Arity = .required) {
        self.name = name
        self.help = help
        self.arity = arity
    }

    /// `IOC`, `[IOC]`, `[IOC...]` or `IOC...`, as usage lines show it.
    var synopsis: String {
        switch self.arity {
        case .required: self.name
        case .optional: "[\(self.name)]"
        case .zeroOrMore: "[\(self.name)...]"
        case .oneOrMore: "\(self.name)..."
        }
    }

    /// The most values this argument takes (`nil`: unbounded).
    var maximum: Int? {
        switch self.arity {
        case .required, .optional: 1
        case .zeroOrMore, .oneOrMore: nil
        }
    }

    /// The fewest values this argument needs.
    var minimum: Int {
        switch self.arity {
        case .required, .oneOrMore: 1
        case .optional, .zeroOrMore: 0
        }
    }
}
