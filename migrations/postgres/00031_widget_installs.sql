-- +goose Up
-- What the widget last reported from each origin of a site (site.Install): the last page,
-- its build, how often it loaded, the last error. No reader's data. At most
-- site.MaxInstalls origins per site, a bound the store's insert keeps.
CREATE TABLE widget_installs (
    site_id      TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    origin       TEXT NOT NULL,
    page         TEXT NOT NULL,
    version      TEXT NOT NULL,
    loads        BIGINT NOT NULL,
    last_load_at BIGINT NOT NULL,
    error        TEXT NOT NULL,
    error_at     BIGINT NOT NULL,
    PRIMARY KEY (site_id, origin)
);

-- +goose Down
DROP TABLE widget_installs;
