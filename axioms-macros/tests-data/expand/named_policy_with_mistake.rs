policy!(pub AdminOnly: role = "admin");
