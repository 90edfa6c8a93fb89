/**
 * What `configure` and its options do, for `--help` (kept apart from
 * configure.ts so that printing help loads none of the editor).
 */
export const CONFIGURE_HELP = `configure [--dry-run] [--remove] [--containers-auth[=PATH]]
  Routes every registry the environment configures (complete
  <ID>_CONTAINER_REGISTRY_* triples) to this helper in docker's config.json
  ($DOCKER_CONFIG/config.json, else ~/.docker/config.json) and removes the
  plaintext "auths" entries that hold exactly those credentials for exactly
  that registry. Everything else in the file is kept byte for byte; the file
  is replaced atomically, keeping its mode, owner and group.
  --dry-run                 print what would change and write nothing
  --remove                  undo: remove every credHelpers entry naming
                            "codespaces" (plaintext auths removed earlier are
                            not restored; docker login again where needed)
  --containers-auth[=PATH]  also edit the auth.json podman, skopeo and buildah
                            read: PATH, else $REGISTRY_AUTH_FILE, else
                            $XDG_CONFIG_HOME/containers/auth.json, else
                            ~/.config/containers/auth.json`;
