/**
 * Where each sealed value lives: the vault binds every ciphertext to its place (table + row id),
 * so a value copied to another row does not open. One list, used to seal, open and re-key.
 */
export const places = {
  secret: (key: string) => `secrets/${key}`,
  message: (id: string) => `messages/${id}`,
  secretChat: (id: string) => `secretChats/${id}`,
  secretMessage: (id: string) => `secretMessages/${id}`,
  secretMedia: (id: string) => `secretMedia/${id}`,
  cloudMedia: (messageId: string) => `cloudMedia/${messageId}`,
  draft: (id: string) => `drafts/${id}`,
  keptUpdate: (cursor: number) => `keptUpdates/${cursor}`,
  cloudAction: (key: string) => `cloudActions/${key}`,
  scheduled: (id: string) => `scheduled/${id}`
};
