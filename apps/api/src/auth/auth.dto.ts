import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH } from '@fr/auth';
import { OFFICER_ROLES, OfficerRole } from '@fr/domain';

export class LoginDto {
  @ApiProperty({ example: 'admin', maxLength: 64 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;

  @ApiProperty({ example: 'admin', maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password: string;
}

export class OfficerIdentityDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'p.bach.khoa.handler' }) username: string;
  @ApiProperty({ example: 'Đỗ Thanh Hiếu' }) fullName: string;
  @ApiProperty({ enum: OFFICER_ROLES }) role: OfficerRole;
  @ApiProperty({ example: 'P_BACH_KHOA' }) unitCode: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'send as Authorization: Bearer <accessToken>' }) accessToken: string;
  @ApiProperty({ example: 900, description: 'seconds until the token expires' }) expiresIn: number;
  @ApiProperty({ type: OfficerIdentityDto }) officer: OfficerIdentityDto;
}
