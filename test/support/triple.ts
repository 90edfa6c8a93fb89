/** The three variables Codespaces sets for one registry secret. */
export const triple = (id: string, server: string, user: string, password: string): Record<string, string> => ({
  [`${id}_CONTAINER_REGISTRY_SERVER`]: server,
  [`${id}_CONTAINER_REGISTRY_USER`]: user,
  [`${id}_CONTAINER_REGISTRY_PASSWORD`]: password,
});
