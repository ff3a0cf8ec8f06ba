/** The tag of the message that lets a spawned process start (spawn.ts sends it, entry.ts waits for it). */
export const GO = '$bw_go';
