export * from 'y-websocket';
