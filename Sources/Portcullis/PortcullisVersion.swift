public enum PortcullisVersion { public static let string = "0.1.0" }
