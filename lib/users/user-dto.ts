export interface UserDto {
  id: string;
  email: string;
  name: string;
  roles: string[];
  isService: boolean;
  disabled: boolean;
  createdAt: string;
}

export const toUserDto = (u: {
  id: string;
  email: string;
  name: string;
  roles: string[];
  isService: boolean;
  disabledAt: Date | null;
  createdAt: Date;
}): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  isService: u.isService,
  disabled: u.disabledAt !== null,
  createdAt: u.createdAt.toISOString(),
});
