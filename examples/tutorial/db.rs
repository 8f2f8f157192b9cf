//! The tutorial's database: SQLite through sqlx, with runtime queries only (no database is
//! needed to build). Ownership is stored in real rows: `articles.user`, `comments.created_by`,
//! `projects.owner_email`.

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// Where the data lives, for the startup message.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// `DATABASE_URL` unset: an in-memory database, gone when the server stops.
    Memory,
    /// A database file (created if missing), which survives restarts.
    File(String),
}

/// A handle on the pool; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    pool: SqlitePool,
}

/// Every statement of the schema; each is idempotent, so startup runs them all.
///
/// `AUTOINCREMENT` keeps ids from being reused after a delete, so an old link never points
/// at someone else's new row.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS articles (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        title        TEXT NOT NULL,
        content      TEXT NOT NULL,
        user         TEXT NOT NULL,
        status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
        published_by TEXT,
        published_at TEXT,
        created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    )",
    "CREATE INDEX IF NOT EXISTS articles_user ON articles (user)",
    "CREATE TABLE IF NOT EXISTS comments (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        text       TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    )",
    "CREATE INDEX IF NOT EXISTS comments_article ON comments (article_id)",
    "CREATE INDEX IF NOT EXISTS comments_created_by ON comments (created_by)",
    "CREATE TABLE IF NOT EXISTS projects (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL,
        owner_email TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    )",
    "CREATE INDEX IF NOT EXISTS projects_owner_email ON projects (owner_email)",
];

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// An article; `user` is the `sub` of its author.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub(crate) struct Article {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) content: String,
    pub(crate) user: String,
    pub(crate) status: String,
    pub(crate) published_by: Option<String>,
    pub(crate) published_at: Option<String>,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// A comment; `created_by` is the `sub` of its author.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub(crate) struct Comment {
    pub(crate) id: i64,
    pub(crate) article_id: i64,
    pub(crate) text: String,
    pub(crate) created_by: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
}

/// A project; `owner_email` is the `email` claim of its creator.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub(crate) struct Project {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) owner_email: String,
    pub(crate) created_at: String,
}

const ARTICLE: &str =
    "id, title, content, user, status, published_by, published_at, created_at, updated_at";
const COMMENT: &str = "id, article_id, text, created_by, created_at, updated_at";
const PROJECT: &str = "id, name, owner_email, created_at";

/// Why `DATABASE_URL` could not be used.
#[derive(Debug)]
pub(crate) struct DbError(String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

impl Db {
    /// Opens the database and creates the schema.
    ///
    /// * `None`: an in-memory database on one connection that is never closed (an in-memory
    ///   SQLite database lives as long as a connection to it does).
    /// * `Some(url)`: `sqlite://path/to/file.db` (or `sqlite:file.db`, or a bare path), created
    ///   if missing; `sqlite::memory:` for an explicit in-memory database.
    pub(crate) async fn connect(url: Option<&str>) -> Result<(Self, Location), DbError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            DbError(format!(
                "DATABASE_URL: {what}: {e}. Fix: give a SQLite URL such as `sqlite://tutorial.db` \
                 (a file, created if missing) or unset DATABASE_URL for an in-memory database"
            ))
        };
        let (options, location) = match url {
            None => (
                SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(|e| fail("in-memory database", &e))?,
                Location::Memory,
            ),
            Some(url) if url.contains("://") && !url.starts_with("sqlite:") => {
                return Err(fail(
                    &format!("`{url}` is not a SQLite URL"),
                    &"this tutorial only speaks SQLite",
                ));
            }
            Some(url) => {
                let options = if url.starts_with("sqlite:") {
                    SqliteConnectOptions::from_str(url)
                        .map_err(|e| fail(&format!("cannot parse `{url}`"), &e))?
                } else {
                    SqliteConnectOptions::new().filename(url)
                };
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                let location = if memory {
                    Location::Memory
                } else {
                    Location::File(options.get_filename().display().to_string())
                };
                (options.create_if_missing(true), location)
            }
        };
        let pool = match location {
            // One connection, kept forever: the database is that connection's.
            Location::Memory => SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            Location::File(_) => SqlitePoolOptions::new().max_connections(4),
        }
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| fail("cannot open the database", &e))?;
        for statement in SCHEMA {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .map_err(|e| fail("cannot create the schema", &e))?;
        }
        Ok((Self { pool }, location))
    }

    /// Closes every connection (flushing a file database) before exit.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers.
    pub(crate) async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub(crate) async fn insert_article(
        &self,
        title: &str,
        content: &str,
        user: &str,
    ) -> Result<Article, sqlx::Error> {
        sqlx::query_as(&format!(
            "INSERT INTO articles (title, content, user) VALUES (?, ?, ?) RETURNING {ARTICLE}"
        ))
        .bind(title)
        .bind(content)
        .bind(user)
        .fetch_one(&self.pool)
        .await
    }

    pub(crate) async fn article(&self, id: i64) -> Result<Option<Article>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {ARTICLE} FROM articles WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Updates the given fields; `None` if the article is gone.
    pub(crate) async fn update_article(
        &self,
        id: i64,
        title: Option<&str>,
        content: Option<&str>,
    ) -> Result<Option<Article>, sqlx::Error> {
        sqlx::query_as(&format!(
            "UPDATE articles SET title = COALESCE(?, title), content = COALESCE(?, content), \
             updated_at = {NOW} WHERE id = ? RETURNING {ARTICLE}"
        ))
        .bind(title)
        .bind(content)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Publishes a draft; `None` if the article is already published (or gone). One statement,
    /// so two concurrent publishes cannot both succeed.
    pub(crate) async fn publish_article(
        &self,
        id: i64,
        by: &str,
    ) -> Result<Option<Article>, sqlx::Error> {
        sqlx::query_as(&format!(
            "UPDATE articles SET status = 'published', published_by = ?, published_at = {NOW}, \
             updated_at = {NOW} WHERE id = ? AND status = 'draft' RETURNING {ARTICLE}"
        ))
        .bind(by)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Deletes an article and its comments; `false` if it was already gone.
    pub(crate) async fn delete_article(&self, id: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM articles WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Adds a comment; `None` if the article does not exist.
    pub(crate) async fn insert_comment(
        &self,
        article_id: i64,
        text: &str,
        created_by: &str,
    ) -> Result<Option<Comment>, sqlx::Error> {
        let inserted = sqlx::query_as(&format!(
            "INSERT INTO comments (article_id, text, created_by) VALUES (?, ?, ?) \
             RETURNING {COMMENT}"
        ))
        .bind(article_id)
        .bind(text)
        .bind(created_by)
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(comment) => Ok(Some(comment)),
            Err(sqlx::Error::Database(e))
                if e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn comment(&self, id: i64) -> Result<Option<Comment>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {COMMENT} FROM comments WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Replaces a comment's text; `None` if the comment is gone.
    pub(crate) async fn update_comment(
        &self,
        id: i64,
        text: &str,
    ) -> Result<Option<Comment>, sqlx::Error> {
        sqlx::query_as(&format!(
            "UPDATE comments SET text = ?, updated_at = {NOW} WHERE id = ? RETURNING {COMMENT}"
        ))
        .bind(text)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    pub(crate) async fn insert_project(
        &self,
        name: &str,
        owner_email: &str,
    ) -> Result<Project, sqlx::Error> {
        sqlx::query_as(&format!(
            "INSERT INTO projects (name, owner_email) VALUES (?, ?) RETURNING {PROJECT}"
        ))
        .bind(name)
        .bind(owner_email)
        .fetch_one(&self.pool)
        .await
    }

    pub(crate) async fn project(&self, id: i64) -> Result<Option<Project>, sqlx::Error> {
        sqlx::query_as(&format!("SELECT {PROJECT} FROM projects WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }
}
