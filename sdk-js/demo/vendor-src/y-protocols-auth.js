export * from 'y-protocols/auth';
