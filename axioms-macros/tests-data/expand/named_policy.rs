policy!(pub AdminOnly: roles = any("admin", "superuser"));

#[protected(policy = AdminOnly)]
async fn list_users() -> Json<Vec<User>> {
    Json(users())
}
