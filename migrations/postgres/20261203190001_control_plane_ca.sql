-- The control plane's own CA. It signs the certificate each segment's dockerd serves on
-- its TCP listener (for the segment's address) and the control plane's client
-- certificate, the only one those listeners accept: how the control plane reaches
-- dockerds on hosts other than its own. One row, made by the first server that starts;
-- its key sealed with the secret key, as the cluster CAs' keys are.
CREATE TABLE control_plane_ca (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    cert_pem    TEXT NOT NULL,
    key_sealed  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
