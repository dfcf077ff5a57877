// The whole "worker": open the database and answer the list, newest first.
import Dexie from 'dexie';

const db = new Dexie('floor');
db.version(1).stores({ chats: 'id, at' });
db.table('chats')
  .orderBy('at')
  .reverse()
  .toArray()
  .then((rows) => postMessage(rows.map((r) => ({ id: r.id, name: r.name }))));
