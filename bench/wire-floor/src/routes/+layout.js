// As in Cinder: a client-rendered shell.
export const ssr = false;
