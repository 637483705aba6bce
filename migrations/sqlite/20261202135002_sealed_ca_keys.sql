-- Cluster CA private keys are stored sealed (encrypted under the secret key file, which
-- is not in the database). The server seals the plaintext keys of older databases at its
-- first start with this schema; the column's new name says what it holds.

ALTER TABLE clusters RENAME COLUMN ca_key_pem TO ca_key_sealed;
