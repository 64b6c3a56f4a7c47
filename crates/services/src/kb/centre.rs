//! The public help centre's home: the categories that hold public articles and the
//! articles readers found most helpful. Public articles only, whoever asks (staff who
//! browse the help centre see what customers see).

use crate::{Result, Services};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HelpCategory {
    /// Category path, e.g. `Network/Wi-Fi`.
    pub path: String,
    /// Its own name (the last part of the path).
    pub name: String,
    /// How many public articles it holds.
    pub articles: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HelpfulArticle {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// How many readers said it helped.
    pub helpful: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HelpHome {
    pub categories: Vec<HelpCategory>,
    pub most_helpful: Vec<HelpfulArticle>,
}

impl Services {
    pub async fn help_home(&self, most_helpful: i64) -> Result<HelpHome> {
        let categories = self
            .store
            .public_categories()
            .await?
            .into_iter()
            .map(|(path, articles)| HelpCategory {
                name: path.rsplit('/').next().unwrap_or(&path).to_string(),
                path,
                articles,
            })
            .collect();
        let most_helpful = self
            .store
            .most_helpful_public(most_helpful.clamp(1, 50))
            .await?
            .into_iter()
            .map(|a| HelpfulArticle {
                slug: a.slug,
                title: a.title,
                summary: a.summary,
                helpful: a.helpful,
            })
            .collect();
        Ok(HelpHome {
            categories,
            most_helpful,
        })
    }
}
