/// Checks a tool's arguments against its JSON Schema: the subset kb's tools declare.
///
/// Supported keywords: `type` (a name or a list of names), `properties`, `required`, `additionalProperties: false`,
/// `enum`, `minimum`, `maximum`, `minLength`, `maxLength`, `maxProperties`, `items`. Other keywords are ignored, so
/// a schema must not rely on them. An integer is a number without a fraction, as JSON Schema says.
public enum ToolSchema {
    /// Every way `value` breaks `schema`, each naming the argument (`k`, `where.service`) and what was expected;
    /// empty when it conforms.
    public static func problems(_ value: ToolValue, schema: ToolValue, at path: String = "") -> [String] {
        guard let schema = schema.objectValue else { return [] }
        let name = path.isEmpty ? "the arguments" : "\"\(path)\""
        if let types = allowedTypes(schema["type"]), !types.contains(where: { matches(value, type: $0) }) {
            let expected = types.count == 1 ? types[0] : types.dropLast().joined(separator: ", ") + " or "
                + types.last!
            return ["\(name) must be \(article(expected)) \(expected), not \(article(value.typeName)) \(value.typeName)"]
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            return ["\(name) must be one of " + options.map(\.jsonText).joined(separator: ", ") + ", not \(value.jsonText)"]
        }
        var problems: [String] = []
        switch value {
        case .string(let text):
            if let minimum = schema["minLength"]?.intValue, text.count < minimum {
                problems.append(minimum == 1 ? "\(name) must not be empty" : "\(name) must hold at least \(minimum) characters")
            }
            if let maximum = schema["maxLength"]?.intValue, text.count > maximum {
                problems.append("\(name) must hold at most \(maximum) characters, not \(text.count)")
            }
        case .number(let number):
            if let minimum = schema["minimum"]?.numberValue, number < minimum {
                problems.append("\(name) must be at least \(format(minimum)), not \(format(number))")
            }
            if let maximum = schema["maximum"]?.numberValue, number > maximum {
                problems.append("\(name) must be at most \(format(maximum)), not \(format(number))")
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    problems += Self.problems(item, schema: itemSchema, at: "\(path)[\(index)]")
                }
            }
        case .object(let members):
            let properties = schema["properties"]?.objectValue ?? [:]
            for key in (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) where members[key] == nil {
                problems.append("\"\(join(path, key))\" is required")
            }
            if let maximum = schema["maxProperties"]?.intValue, members.count > maximum {
                problems.append("\(name) may hold at most \(maximum) entries, not \(members.count)")
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[key] {
                    problems += Self.problems(member, schema: propertySchema, at: join(path, key))
                } else if case .object(let extra)? = schema["additionalProperties"] {
                    problems += Self.problems(member, schema: .object(extra), at: join(path, key))
                } else if schema["additionalProperties"] == .bool(false) {
                    let known = properties.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                    problems.append("unknown argument \"\(join(path, key))\"" + (known.isEmpty ? "" : "; known: \(known)"))
                }
            }
        default:
            break
        }
        return problems
    }

    private static func allowedTypes(_ type: ToolValue?) -> [String]? {
        switch type {
        case .string(let name)?: return [name]
        case .array(let names)?: return names.compactMap(\.stringValue)
        default: return nil
        }
    }

    private static func matches(_ value: ToolValue, type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("object", .object), ("array", .array), ("null", .null),
             ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number == number.rounded()
        default:
            return false
        }
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private static func article(_ word: String) -> String {
        ["a", "e", "i", "o", "u"].contains(word.first.map { String($0) } ?? "") ? "an" : "a"
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
