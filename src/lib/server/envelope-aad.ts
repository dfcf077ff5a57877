/** The at-rest additional data of an envelope body: bound to its recipient device and id. */
export const envelopeAad = (toDeviceId: string, id: string) => `env:${toDeviceId}:${id}`;
