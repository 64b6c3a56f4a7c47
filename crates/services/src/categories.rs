//! Knowledge-base categories: listed with their articles, added, renamed and removed by
//! admins. A category is a path (`Network/Wi-Fi`) that articles carry, so renaming one
//! refiles each article under it as a new version in the article's history, one article
//! per transaction: a rename stopped halfway leaves every article whole, and running it
//! again finishes it.

use crate::ErrorCode;
use crate::kb::ArticlePatch;
use crate::{Actor, Result, ServiceError, Services};
use heard_store::CategoryCountRow;

/// A category's name: one level, no slash, 1 to 100 characters.
fn category_name(raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() || n.contains('/') || n.chars().count() > 100 || n.chars().any(char::is_control)
    {
        return Err(ServiceError::invalid(
            "name",
            ErrorCode::InvalidCategoryName,
            "a category name has 1 to 100 characters and no slash",
        ));
    }
    Ok(n.to_string())
}

impl Services {
    /// Every category by path with its own article count (staff).
    pub async fn list_categories(&self, actor: &Actor) -> Result<Vec<CategoryCountRow>> {
        if !actor.is_staff() {
            return Err(ServiceError::forbidden("categories are listed for staff"));
        }
        Ok(self.store.categories_with_counts().await?)
    }

    /// Adds a category (and any missing parents) by path, e.g. `Network/Wi-Fi` (admins).
    pub async fn add_category(&self, actor: &Actor, path: &str) -> Result<()> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("only admins change categories"));
        }
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.trim().is_empty())
            .map(|p| category_name(p).map_err(|_| invalid_path()))
            .collect::<Result<_>>()?;
        if parts.is_empty() || parts.len() > 8 || path.len() > 300 {
            return Err(invalid_path());
        }
        self.store
            .add_category(&parts.join("/"), self.now())
            .await?;
        Ok(())
    }

    /// Renames the category `id` (its last level) and refiles its articles and those of
    /// the categories below it; returns how many articles moved (admins).
    pub async fn rename_category(&self, actor: &Actor, id: i64, name: &str) -> Result<usize> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("only admins change categories"));
        }
        let name = category_name(name)?;
        let all = self.store.categories_with_counts().await?;
        let c = all
            .iter()
            .find(|c| c.id == id)
            .ok_or(ServiceError::not_found(
                "category",
                ErrorCode::CategoryNotFound,
            ))?;
        let old = c.path.clone();
        let new = match old.rsplit_once('/') {
            Some((parent, _)) => format!("{parent}/{name}"),
            None => name.clone(),
        };
        if new == old {
            return Ok(0);
        }
        if all.iter().any(|c| c.path == new) {
            return Err(ServiceError::invalid(
                "name",
                ErrorCode::CategoryExists,
                "a category by that name is already there",
            ));
        }
        self.store.add_category(&new, self.now()).await?;
        let mut moved = 0;
        for article in self.store.article_ids_under(&old).await? {
            let Some(a) = self.store.article(article).await? else {
                continue;
            };
            let path = a.category_path.clone().unwrap_or_default();
            let refiled = format!("{new}{}", &path[old.len().min(path.len())..]);
            self.update_article(
                actor,
                &a.id.to_string(),
                ArticlePatch {
                    category: Some(refiled),
                    expected_version: Some(a.version),
                    note: Some(format!("category renamed from {old} to {new}")),
                    ..Default::default()
                },
            )
            .await?;
            moved += 1;
        }
        // Empty subcategories move along, so the tree keeps its shape.
        for sub in all
            .iter()
            .filter(|c| c.path.starts_with(&format!("{old}/")))
        {
            self.store
                .add_category(&format!("{new}{}", &sub.path[old.len()..]), self.now())
                .await?;
        }
        self.store.remove_empty_categories_under(&old).await?;
        Ok(moved)
    }

    /// Removes a category that holds no article and no other category (admins).
    pub async fn remove_category(&self, actor: &Actor, id: i64) -> Result<()> {
        if !actor.may_configure() {
            return Err(ServiceError::forbidden("only admins change categories"));
        }
        let all = self.store.categories_with_counts().await?;
        let c = all
            .iter()
            .find(|c| c.id == id)
            .ok_or(ServiceError::not_found(
                "category",
                ErrorCode::CategoryNotFound,
            ))?;
        if c.articles > 0 || all.iter().any(|o| o.parent_id == Some(id)) {
            return Err(ServiceError::conflict(
                ErrorCode::CategoryNotEmpty,
                "only an empty category can be removed: move its articles and subcategories first",
            ));
        }
        self.store.remove_empty_categories_under(&c.path).await?;
        Ok(())
    }
}

fn invalid_path() -> ServiceError {
    ServiceError::invalid(
        "path",
        ErrorCode::InvalidCategory,
        "a category path has 1 to 8 levels of 1 to 100 characters, separated by /",
    )
}
