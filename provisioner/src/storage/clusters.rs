//! The `clusters` table.

use super::Storage;
use crate::error::Result;

impl Storage {
    /// How many clusters an account has, whatever their status.
    pub async fn cluster_count(&self, account_id: &str) -> Result<u32> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clusters WHERE account_id = ?")
            .bind(account_id)
            .fetch_one(self.pool())
            .await?;
        Ok(n as u32)
    }
}
