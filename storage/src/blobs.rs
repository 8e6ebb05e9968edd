//! The blob store of files: a local folder by default, or an S3-compatible
//! bucket, both through `object_store`. Keys are `{app_id}/{file_id}[.thumb.png]`,
//! so every blob is scoped by its app.

use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

/// Why the blob store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The URL is neither `file://…` nor `s3://…`.
    #[error("unsupported CAAS_BLOB_URL `{0}`: use file:///path or s3://bucket[?endpoint=…&region=…]")]
    Unsupported(String),
    /// The URL has a parameter this build does not know.
    #[error("unknown parameter `{0}` in CAAS_BLOB_URL (known: endpoint, region, allow_http)")]
    UnknownParameter(String),
    /// The local folder could not be created.
    #[error("cannot create blob folder {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// `object_store` refused the configuration.
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
}

/// Opens the store named by `url` (`CAAS_BLOB_URL`); without one, the folder
/// `data_dir/blobs`.
///
/// `s3://bucket` takes its credentials from the usual AWS variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION`, `AWS_ENDPOINT`); the query string may set `endpoint` (an
/// S3-compatible server such as MinIO or Ceph, addressed path-style), `region`
/// and `allow_http=true` (implied by an `http://` endpoint).
pub fn open(url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn ObjectStore>, BlobError> {
    let Some(url) = url else {
        return local(&data_dir.join("blobs"));
    };
    if let Some(path) = url.strip_prefix("file://") {
        return local(Path::new(path));
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        return s3(rest);
    }
    Err(BlobError::Unsupported(url.to_owned()))
}

fn local(dir: &Path) -> Result<Arc<dyn ObjectStore>, BlobError> {
    std::fs::create_dir_all(dir).map_err(|source| BlobError::Folder { path: dir.display().to_string(), source })?;
    Ok(Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?))
}

fn s3(rest: &str) -> Result<Arc<dyn ObjectStore>, BlobError> {
    let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
    if bucket.is_empty() || bucket.contains('/') {
        return Err(BlobError::Unsupported(format!("s3://{rest}")));
    }
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        builder = match key {
            "endpoint" => {
                let plain = value.starts_with("http://");
                builder.with_endpoint(value).with_allow_http(plain).with_virtual_hosted_style_request(false)
            }
            "region" => builder.with_region(value),
            "allow_http" => builder.with_allow_http(value == "true"),
            other => return Err(BlobError::UnknownParameter(other.to_owned())),
        };
    }
    Ok(Arc::new(builder.build()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_or_refused_clearly() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(open(None, dir.path()).is_ok());
        assert!(dir.path().join("blobs").is_dir(), "the default folder is created");
        let url = format!("file://{}/other", dir.path().display());
        assert!(open(Some(&url), dir.path()).is_ok());
        assert!(matches!(open(Some("ftp://x"), dir.path()), Err(BlobError::Unsupported(_))));
        assert!(matches!(open(Some("s3://"), dir.path()), Err(BlobError::Unsupported(_))));
        assert!(matches!(
            open(Some("s3://bucket?colour=blue"), dir.path()),
            Err(BlobError::UnknownParameter(p)) if p == "colour"
        ));
    }
}
