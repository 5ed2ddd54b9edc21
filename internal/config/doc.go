// Package config loads, expands and validates sluice's configuration.
//
// A configuration comes from one of three places (the command decides
// which):
//
//   - a YAML file, read by Load or Parse: strict (an unknown key is an error
//     naming its line and column), with ${VAR} and ${VAR:-default}
//     expanded from the environment in every string value, `*_file` keys
//     for secrets, defaults filled in, and every component validated — all
//     problems are reported at once, each with its YAML path;
//   - nothing at all: Default, the embedded defaults (HTTP on
//     127.0.0.1:${PORT:-8080}, a Logplex drain at /logs, events kept in
//     files under the data directory);
//   - only log-iss's environment variables: FromLogIssEnv, which makes
//     sluice a drop-in heroku/log-iss (see LogIssVariables).
//
// # Expansion
//
// ${VAR} is replaced by the value of VAR, and it is an error when VAR is
// not set. ${VAR:-default} is replaced by default when VAR is unset or
// empty; default is taken literally up to the first "}". $$ is a literal $;
// a $ not followed by { or $ is kept as it is (so "$.level" in a filter
// pattern needs no escaping). Expansion happens in the decoded value of
// each string scalar, after YAML parsing, and the result is not expanded
// again: a variable's value can contain ":", newlines or "${X}" without
// changing the structure of the document or reaching other variables.
// Mapping keys are not expanded. Scalars written as numbers or booleans
// contain no ${...}; write `connections: ${N}` and the expanded text is
// read as the number the field wants. In flow style ({…}) quote a value
// holding ${…}: its } would end the mapping — {token: "${TOKEN}"}.
//
// # Secrets in files
//
// A key that holds secrets also has a `_file` form naming a file to read
// them from (relative paths are relative to the working directory, as
// data_dir is):
//
//   - for one secret (e.g. webhook_url_file), the file's content with one
//     trailing newline removed;
//   - for a list (tokens_file, keys_file, access_keys_file), one secret per
//     line;
//   - for users (users_file), one "name:secret" per line.
//
// In list files blank lines and lines starting with # are skipped. A list
// given both inline and as a file gets both.
//
// # Paths in errors
//
// Problems name their place as a YAML path: "sinks.splunk.address",
// "subscriptions[1].sink", "sources.aws". Errors from Parse or Load also
// carry file, line and column; use Errors to list them.
package config
